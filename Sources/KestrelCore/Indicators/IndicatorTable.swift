/// Batch indicator results: one row per candle, NaN during warm-up.
public struct IndicatorTable: Sendable {
    public var candles: [Candle]
    public var rows: [IndicatorSnapshot]

    /// Computes every indicator over `candles` (oldest first) with the streaming code, one pass.
    public init(candles: [Candle]) {
        self.candles = candles
        var set = IndicatorSet()
        var rows = [IndicatorSnapshot]()
        rows.reserveCapacity(candles.count)
        for candle in candles {
            set.update(candle)
            rows.append(set.snapshot)
        }
        self.rows = rows
    }
}
