/// One symbol's streaming indicator state on each timeframe a strategy reads.
///
/// Built cold from fetched candles, or kept alive and fed one candle at a time: a rescan after one new candle then
/// costs a few O(1) updates and one strategy call instead of recomputing the whole history.
public struct SymbolAnalyzer: Sendable {
    public let symbol: String
    public let requirements: [TimeframeRequirement]
    /// Indicator state per timeframe, in the order of `requirements` (primary first).
    public private(set) var sets: [IndicatorSet]
    /// The views of the confirming timeframes that have enough bars, made when one of their candles closes: a
    /// confirming timeframe changes a few times a day and is read at every primary candle.
    private var confirmations: [TimeframeView] = []

    public init(symbol: String, requirements: [TimeframeRequirement]) {
        precondition(!requirements.isEmpty, "a strategy reads at least its primary timeframe")
        self.symbol = symbol
        self.requirements = requirements
        sets = Array(repeating: IndicatorSet(), count: requirements.count)
    }

    /// Builds the state from history: `candles[i]` belongs to `requirements[i]`, oldest first.
    public init(symbol: String, requirements: [TimeframeRequirement], candles: [some Collection<Candle>]) {
        self.init(symbol: symbol, requirements: requirements)
        for (index, series) in candles.enumerated() where index < sets.count {
            for candle in series { sets[index].update(candle) }
        }
        remakeConfirmations()
    }

    /// Feeds one closed candle of `timeframe`. Candles must arrive in time order per timeframe.
    public mutating func update(_ candle: Candle, timeframe: Timeframe) {
        guard let index = requirements.firstIndex(where: { $0.timeframe == timeframe }) else { return }
        if let last = sets[index].lastCandle, candle.time <= last.time { return }
        sets[index].update(candle)
        if index > 0 { remakeConfirmations() }
    }

    private mutating func remakeConfirmations() {
        confirmations.removeAll(keepingCapacity: true)
        for index in requirements.indices.dropFirst() where sets[index].count >= requirements[index].minimum {
            confirmations.append(TimeframeView(timeframe: requirements[index].timeframe,
                                               indicators: sets[index].snapshot, bars: sets[index].count))
        }
    }

    /// Whether the primary timeframe has enough bars to evaluate.
    public var isReady: Bool { sets[0].count >= requirements[0].minimum }

    /// The strategy's view of the symbol; nil while the primary timeframe has too few bars. Confirming timeframes
    /// with too few bars are left out.
    public func view() -> SymbolView? { isReady ? readyView() : nil }

    private func readyView() -> SymbolView {
        SymbolView(symbol: symbol,
                   primary: TimeframeView(timeframe: requirements[0].timeframe, indicators: sets[0].snapshot,
                                          bars: sets[0].count, recent: sets[0].recentBars),
                   confirmations: confirmations)
    }

    /// Evaluates `strategy` on the current state; nil while there is too little history.
    public func evaluate(_ strategy: some Strategy, context: StrategyContext = StrategyContext()) -> SignalResult? {
        // The view goes straight to the strategy, not through an optional: a view is some 300 bytes, and every
        // symbol is evaluated at every scan.
        guard isReady else { return nil }
        return strategy.evaluate(readyView(), context: context)
    }
}
