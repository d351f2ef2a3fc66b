import Synchronization

/// Re-validates signals against a recorded market: the strategy evaluated on exactly the candles the scanner would
/// fetch at that moment (so a re-check disagrees with its scan only when a new candle has closed since), cached
/// until the symbol's next primary candle closes.
public final class HistoricalSignals<S: Strategy>: SignalRevalidator {
    private let market: HistoricalMarket
    private let strategy: S
    private let context: StrategyContext
    /// Last result per symbol and the close time of the primary candle it was computed on.
    private let cache = Mutex<[String: (closedAt: Timestamp, result: SignalResult?)]>([:])

    public init(market: HistoricalMarket, strategy: S, context: StrategyContext = StrategyContext()) {
        self.market = market
        self.strategy = strategy
        self.context = context
    }

    public func revalidate(symbol: String, at time: Timestamp) -> SignalResult? {
        guard let series = market.series[symbol] else { return nil }
        let primary = strategy.primary
        let last = series.candles(primary.timeframe, limit: 1, closedBy: time).last
        let closedAt = last.map { $0.time + primary.timeframe.seconds } ?? Timestamp(seconds: 0)
        if let cached = cache.withLock({ $0[symbol] }), cached.closedAt == closedAt { return cached.result }
        let candles = strategy.requirements.map { series.candles($0.timeframe, limit: $0.history, closedBy: time) }
        let result = SymbolAnalyzer(symbol: symbol, requirements: strategy.requirements, candles: candles)
            .evaluate(strategy, context: context)
        cache.withLock { $0[symbol] = (closedAt, result) }
        return result
    }
}
