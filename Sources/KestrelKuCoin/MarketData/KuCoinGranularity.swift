public import KestrelCore

/// KuCoin's kline granularities, in minutes: the timeframes its candle endpoint serves.
public enum KuCoinGranularity {
    public static let minutes: [Int64] = [1, 5, 15, 30, 60, 120, 240, 480, 720, 1_440, 10_080]

    /// The granularity of `timeframe`, or nil when KuCoin has none.
    public static func of(_ timeframe: Timeframe) -> Int64? {
        guard timeframe.seconds % 60 == 0 else { return nil }
        let value = timeframe.seconds / 60
        return minutes.contains(value) ? value : nil
    }

    /// The most rows KuCoin returns for one request: 200 in the futures manual (500 in the newer specs; 200 works
    /// either way).
    public static let rowsPerRequest = 200
}
