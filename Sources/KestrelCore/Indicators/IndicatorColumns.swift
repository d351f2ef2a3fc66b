/// Batch indicator results as columns (one array per indicator), the layout TA-Lib returns and the one to use for
/// long series: it stores only the sixteen TA-Lib-compatible outputs, not whole snapshots.
public struct IndicatorColumns: Sendable {
    public var sma20: [Double]
    public var sma50: [Double]
    public var ema12: [Double]
    public var ema26: [Double]
    public var macd: [Double]
    public var macdSignal: [Double]
    public var macdHistogram: [Double]
    public var rsi14: [Double]
    public var stochK: [Double]
    public var stochD: [Double]
    public var bbUpper: [Double]
    public var bbMiddle: [Double]
    public var bbLower: [Double]
    public var atr14: [Double]
    public var roc10: [Double]
    public var volumeSMA20: [Double]

    public init(candles: [Candle]) {
        let n = candles.count
        var columns = [[Double]](repeating: [Double](repeating: .nan, count: n), count: 16)
        var set = IndicatorSet()
        for (i, candle) in candles.enumerated() {
            set.update(candle)
            let s = set.snapshot
            columns[0][i] = s.sma20
            columns[1][i] = s.sma50
            columns[2][i] = s.ema12
            columns[3][i] = s.ema26
            columns[4][i] = s.macd
            columns[5][i] = s.macdSignal
            columns[6][i] = s.macdHistogram
            columns[7][i] = s.rsi14
            columns[8][i] = s.stochK
            columns[9][i] = s.stochD
            columns[10][i] = s.bbUpper
            columns[11][i] = s.bbMiddle
            columns[12][i] = s.bbLower
            columns[13][i] = s.atr14
            columns[14][i] = s.roc10
            columns[15][i] = s.volumeSMA20
        }
        (sma20, sma50, ema12, ema26) = (columns[0], columns[1], columns[2], columns[3])
        (macd, macdSignal, macdHistogram, rsi14) = (columns[4], columns[5], columns[6], columns[7])
        (stochK, stochD, bbUpper, bbMiddle) = (columns[8], columns[9], columns[10], columns[11])
        (bbLower, atr14, roc10, volumeSMA20) = (columns[12], columns[13], columns[14], columns[15])
    }
}
