/// One symbol of a streamed market: its candles, and the strategy's indicator state kept current by them.
///
/// Every candle that closes (pushed, closed by the clock, or filled in after a break) is fed to the indicators at
/// once, so a scan reads the state as it stands instead of recomputing each symbol's history: a scan costs a few
/// updates per new candle, and a symbol with no new candle since the last scan costs nothing (its verdict is kept).
public struct StreamedSymbol: Sendable {
    public let symbol: String
    public private(set) var candles: StreamedCandles
    public let requirements: [TimeframeRequirement]
    private var analyzer: SymbolAnalyzer
    /// Counts the candles fed to the indicators: a verdict computed at one count holds until the next.
    private var version = 0
    private var verdict: (version: Int, context: StrategyContext, result: SignalResult?)?

    /// Starts from candles already seeded: the indicators take in all of them, oldest first.
    public init(symbol: String, candles: StreamedCandles, requirements: [TimeframeRequirement]) {
        self.symbol = symbol
        self.candles = candles
        self.requirements = requirements
        analyzer = SymbolAnalyzer(symbol: symbol, requirements: requirements,
                                  candles: requirements.map { candles.closed[$0.timeframe] ?? [] })
    }

    /// A push of the base candle under way; returns how many base candles it closed (0 or 1).
    @discardableResult
    public mutating func push(_ candle: Candle) -> Int { feeding { $0.push(candle) } }

    /// Closes the forming candle if its period has ended by `time`; true when it did.
    @discardableResult
    public mutating func close(dueBy time: Timestamp) -> Bool { feeding { $0.close(dueBy: time) } }

    /// Candles missed during a break in the stream, oldest first.
    public mutating func seed(_ missed: [Candle], timeframe: Timeframe) {
        feeding { $0.seed(missed, timeframe: timeframe) }
    }

    /// The close time of the newest primary candle the indicators hold.
    public var analysedUntil: Timestamp? { analyzer.primaryClosedUntil }

    /// How many primary candles the indicators hold.
    public var primaryBars: Int { analyzer.primaryBars }

    /// The strategy's verdict on the candles closed so far; nil while the primary timeframe has too few bars.
    public mutating func evaluate(_ strategy: some Strategy, context: StrategyContext) -> SignalResult? {
        if let verdict, verdict.version == version, verdict.context == context { return verdict.result }
        let result = analyzer.evaluateInPlace(strategy, context: context)
        verdict = (version, context, result)
        return result
    }

    /// The base candle due as of `time` (the one that ended last), when the newest one held is older; nil when the
    /// candles are current.
    public func overdue(at time: Timestamp) -> (closedUntil: Timestamp?, due: Timestamp)? {
        let base = candles.base
        let due = Timestamp(seconds: time.seconds / base.seconds * base.seconds)
        let closedUntil = candles.closedUntil
        if let closedUntil, closedUntil >= due { return nil }
        return (closedUntil, due)
    }

    /// The verdict as of `time`, checked first for stale candles (the base candle that ended last before `time` must
    /// be held); nil when the indicators hold a candle that closes after `time` (not the state of `time`). Called
    /// where the symbol lies (see `StreamedSymbols`): a copy would take some kilobytes of indicator state with it.
    public mutating func answer(_ strategy: some Strategy, context: StrategyContext, at time: Timestamp)
        -> StreamedAnalysis? {
        if let (closedUntil, due) = overdue(at: time) { return .stale(closedUntil: closedUntil, due: due) }
        if let until = analysedUntil, until > time { return nil }
        guard let result = evaluate(strategy, context: context) else {
            return .insufficientHistory(bars: primaryBars, needed: requirements[0].minimum)
        }
        return .evaluated(result)
    }

    /// Runs `change` on the candles, then feeds the indicators every candle it closed, timeframe by timeframe.
    private mutating func feeding<R>(_ change: (inout StreamedCandles) -> R) -> R {
        let before = requirements.map { candles.closed[$0.timeframe]?.last?.time }
        let outcome = change(&candles)
        for (index, requirement) in requirements.enumerated() {
            guard let list = candles.closed[requirement.timeframe], let newest = list.last,
                  newest.time != before[index] else { continue }
            var first = list.endIndex
            while first > list.startIndex, before[index].map({ list[first - 1].time > $0 }) ?? true { first -= 1 }
            for candle in list[first...] { analyzer.update(candle, timeframe: requirement.timeframe) }
            version += 1
        }
        return outcome
    }
}
