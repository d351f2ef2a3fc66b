/// One symbol's streaming indicator state on each timeframe a strategy reads.
///
/// Built cold from fetched candles, or kept alive and fed one candle at a time: a rescan after one new candle then
/// costs a few O(1) updates and one strategy call instead of recomputing the whole history.
public struct SymbolAnalyzer: Sendable {
    public let symbol: String
    public let requirements: [TimeframeRequirement]
    /// Indicator state of the primary timeframe. Held apart from the others: read from an array, the whole state
    /// (over a kilobyte) would be copied out at every evaluation.
    private var primary: IndicatorSet
    /// Indicator state of each confirming timeframe, in the order of `requirements.dropFirst()`.
    private var confirming: [IndicatorSet]
    /// The views of the confirming timeframes that have enough bars, made when one of their candles closes: a
    /// confirming timeframe changes a few times a day and is read at every primary candle.
    private var confirmations: [TimeframeView] = []

    public init(symbol: String, requirements: [TimeframeRequirement]) {
        precondition(!requirements.isEmpty, "a strategy reads at least its primary timeframe")
        self.symbol = symbol
        self.requirements = requirements
        primary = IndicatorSet()
        confirming = Array(repeating: IndicatorSet(), count: requirements.count - 1)
    }

    /// Builds the state from history: `candles[i]` belongs to `requirements[i]`, oldest first.
    public init(symbol: String, requirements: [TimeframeRequirement], candles: [some Collection<Candle>]) {
        self.init(symbol: symbol, requirements: requirements)
        for (index, series) in candles.enumerated() where index < requirements.count {
            for candle in series {
                if index == 0 { primary.update(candle) } else { confirming[index - 1].update(candle) }
            }
        }
        remakeConfirmations()
    }

    /// Feeds one closed candle of `timeframe`. Candles must arrive in time order per timeframe.
    public mutating func update(_ candle: Candle, timeframe: Timeframe) {
        guard let index = requirements.firstIndex(where: { $0.timeframe == timeframe }) else { return }
        if index == 0 {
            if let last = primary.lastCandle, candle.time <= last.time { return }
            primary.update(candle)
        } else {
            if let last = confirming[index - 1].lastCandle, candle.time <= last.time { return }
            confirming[index - 1].update(candle)
            remakeConfirmations()
        }
    }

    private mutating func remakeConfirmations() {
        confirmations.removeAll(keepingCapacity: true)
        for (offset, requirement) in requirements.dropFirst().enumerated()
        where confirming[offset].count >= requirement.minimum {
            confirmations.append(TimeframeView(timeframe: requirement.timeframe,
                                               indicators: confirming[offset].snapshot,
                                               bars: confirming[offset].count))
        }
    }

    /// The close time of the newest primary candle taken in.
    public var primaryClosedUntil: Timestamp? {
        primary.lastCandle.map { $0.time + requirements[0].timeframe.seconds }
    }

    /// How many primary candles have been taken in.
    public var primaryBars: Int { primary.count }

    /// Whether the primary timeframe has enough bars to evaluate.
    public var isReady: Bool { primary.count >= requirements[0].minimum }

    /// The strategy's view of the symbol; nil while the primary timeframe has too few bars. Confirming timeframes
    /// with too few bars are left out.
    public func view() -> SymbolView? { isReady ? readyView() : nil }

    // Inlined into the two callers, which then build the view where it goes instead of copying it out.
    @inline(__always)
    private func readyView() -> SymbolView {
        SymbolView(symbol: symbol,
                   primary: TimeframeView(timeframe: requirements[0].timeframe, indicators: primary.snapshot,
                                          bars: primary.count, window: primary.profileWindow),
                   confirmations: confirmations)
    }

    /// `evaluate(_:context:)` for an analyzer kept in an array and evaluated at every scan, called on the element
    /// where it lies (`analyzers[i].evaluateInPlace(...)`). Called on an array element, the non-mutating form first
    /// copies the whole analyzer out (some four kilobytes of indicator state and forty references): a backtest,
    /// which evaluates every symbol at every scan, spent a twentieth of its time on those copies. The verdict is
    /// the same; the analyzer changes only in keeping, from the first call on, what makes the primary timeframe's
    /// volume profile cheap to read at every scan.
    mutating func evaluateInPlace(_ strategy: some Strategy, context: StrategyContext) -> SignalResult? {
        guard isReady else { return nil }
        primary.keepProfileBins()
        return strategy.evaluate(readyView(), context: context)
    }

    /// Evaluates `strategy` on the current state; nil while there is too little history.
    public func evaluate(_ strategy: some Strategy, context: StrategyContext = StrategyContext()) -> SignalResult? {
        // The view goes straight to the strategy, not through an optional: a view is some 300 bytes, and every
        // symbol is evaluated at every scan.
        guard isReady else { return nil }
        return strategy.evaluate(readyView(), context: context)
    }
}
