/// Batch indicator results as columns (one array per indicator, NaN during warm-up), the layout TA-Lib returns.
///
/// Computed by `BatchIndicators`, whose passes are bit-for-bit identical to the streaming `IndicatorSet`.
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
        let (highs, lows, closes, volumes) = (candles.map(\.high), candles.map(\.low), candles.map(\.close),
                                              candles.map(\.volume))
        self = highs.withUnsafeBufferPointer { high in
            lows.withUnsafeBufferPointer { low in
                closes.withUnsafeBufferPointer { close in
                    volumes.withUnsafeBufferPointer { volume in
                        IndicatorColumns(count: n, high: high, low: low, close: close, volume: volume)
                    }
                }
            }
        }
    }

    private init(count n: Int, high: BatchIndicators.Input, low: BatchIndicators.Input,
                 close: BatchIndicators.Input, volume: BatchIndicators.Input) {
        typealias B = BatchIndicators
        sma20 = Self.column(n) { B.sma(close, period: 20, into: $0) }
        sma50 = Self.column(n) { B.sma(close, period: 50, into: $0) }
        ema12 = Self.column(n) { B.ema(close, period: 12, into: $0) }
        ema26 = Self.column(n) { B.ema(close, period: 26, into: $0) }
        volumeSMA20 = Self.column(n) { B.sma(volume, period: 20, into: $0) }
        rsi14 = Self.column(n) { B.rsi(close, period: 14, into: $0) }
        roc10 = Self.column(n) { B.roc(close, period: 10, into: $0) }
        atr14 = Self.column(n) { B.atr(high: high, low: low, close: close, period: 14, into: $0) }
        var signal = [Double]()
        var histogram = [Double]()
        macd = Self.column(n) { line in
            signal = Self.column(n) { signalLine in
                histogram = Self.column(n) {
                    B.macd(close, fast: 12, slow: 26, signal: 9, line: line, signalLine: signalLine, histogram: $0)
                }
            }
        }
        (macdSignal, macdHistogram) = (signal, histogram)
        var middle = [Double]()
        var lower = [Double]()
        bbUpper = Self.column(n) { upper in
            middle = Self.column(n) { middleBand in
                lower = Self.column(n) {
                    B.bollinger(close, period: 20, deviations: 2, upper: upper, middle: middleBand, lower: $0)
                }
            }
        }
        (bbMiddle, bbLower) = (middle, lower)
        var d = [Double]()
        stochK = Self.column(n) { k in
            d = Self.column(n) {
                B.stochasticFast(high: high, low: low, close: close, kPeriod: 14, dPeriod: 3, k: k, d: $0)
            }
        }
        stochD = d
    }

    /// A new column of `count` NaNs that `fill` writes its values into.
    private static func column(_ count: Int, _ fill: (UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: .nan)
            fill(buffer)
            initialized = count
        }
    }
}
