/// Where the scanner gets instruments and candles: the embedded replay, a user's files or a live exchange.
///
/// Adapters translate their wire formats into these domain types; the scanner never sees an exchange's JSON.
public protocol MarketDataSource: Sendable {
    /// Tradable instruments with their 24 h quote volume as of `time`.
    func instruments(at time: Timestamp) async throws -> [Instrument]
    /// The last `limit` candles of `timeframe` that had closed by `time`, oldest first.
    func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws -> [Candle]
}

/// The requested symbol is not in the market.
public struct UnknownSymbol: Error, Sendable, CustomStringConvertible {
    public var symbol: String
    public init(symbol: String) { self.symbol = symbol }
    public var description: String { "unknown symbol \(symbol)" }
}

extension HistoricalMarket: MarketDataSource {
    public func instruments(at time: Timestamp) async throws -> [Instrument] {
        listing(at: time)
    }

    public func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws
        -> [Candle]
    {
        guard let series = series[symbol] else { throw UnknownSymbol(symbol: symbol) }
        return Array(series.candles(timeframe, limit: limit, closedBy: time))
    }
}
