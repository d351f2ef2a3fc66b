public import KestrelCore
import Synchronization

/// Re-validates signals on the live market's candles: the strategy evaluated on the candles a scan would read at
/// that moment, cached until the symbol's next primary candle closes.
public final class StreamedSignals<S: Strategy>: SignalRevalidator {
    private let market: KuCoinLiveMarket
    private let strategy: S
    private let context: StrategyContext
    private let cache = Mutex<[String: (closedAt: Timestamp, result: SignalResult?)]>([:])

    public init(market: KuCoinLiveMarket, strategy: S, context: StrategyContext = StrategyContext()) {
        self.market = market
        self.strategy = strategy
        self.context = context
    }

    public func revalidate(symbol: String, at time: Timestamp) -> SignalResult? {
        let primary = strategy.primary
        guard let last = market.heldCandles(symbol, timeframe: primary.timeframe, limit: 1, closedBy: time)?.last
        else { return nil }
        let closedAt = last.time + primary.timeframe.seconds
        if let cached = cache.withLock({ $0[symbol] }), cached.closedAt == closedAt { return cached.result }
        let candles = strategy.requirements.map {
            market.heldCandles(symbol, timeframe: $0.timeframe, limit: $0.history, closedBy: time) ?? []
        }
        let result = SymbolAnalyzer(symbol: symbol, requirements: strategy.requirements, candles: candles)
            .evaluate(strategy, context: context)
        cache.withLock { $0[symbol] = (closedAt, result) }
        return result
    }
}
