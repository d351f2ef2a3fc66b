/// Everything the engine must remember across a restart, clean or not: cash, positions with their stop and exit
/// state, entries in flight, the risk state, the latest snapshot and which opportunities were already acted on.
public struct EngineState: Sendable, Codable, Equatable {
    public var cash: Double
    public var positions: [String: ManagedPosition]
    public var lastPrices: [String: Double]
    var pendingEntries: [ClientOrderID: TradingEngine.PendingEntry]
    public var risk: RiskState
    public var latestSnapshot: ScanSnapshot?
    var actedOn: Set<String>
    var nextOrderNumber: Int
    /// The run the engine's order ids carry; nil in a state saved before runs had ids.
    public var runID: RunID?
    /// Counters and measurements, without the closed trades and snapshot ages (see `TradingEngine.state`).
    public var statistics: EngineStatistics
    /// The latest funding payment counted, per symbol; nil in a state saved before it was kept.
    var fundingCountedThrough: [String: Timestamp]?
    /// Entries paused by a person; nil (not paused) in a state saved before pausing existed.
    public var entriesPaused: Bool?
}


extension TradingEngine {
    /// Makes the next order ids start above `number`: after a crash the journal may know ids the saved state's
    /// counter has not reached yet (written as intents just before the crash), and an id is never used twice.
    public mutating func reserveOrderNumbers(through number: Int) {
        nextOrderNumber = max(nextOrderNumber, number + 1)
    }

    /// Remembers the trade ids of fills already counted, oldest first: after a restart, the journal's latest fills
    /// (the journal records each fill in the same transaction as the state that counted it), so that a venue
    /// reporting them again is not counted twice. Kept out of the saved state, which would otherwise carry thousands
    /// of ids at every step.
    public mutating func remember(tradeIDs: [TradeID]) {
        for id in tradeIDs { seenTradeIDs.insert(id) }
    }

    /// The state to persist. Closed trades are left out (the journal has them in a table of their own), and so are
    /// the per-order snapshot ages (a measurement of this session): the saved state stays the same size however
    /// long the bot runs.
    public var state: EngineState {
        var stats = statistics
        stats.closedTrades = []
        stats.snapshotAges = []
        return EngineState(cash: cash, positions: positions.dictionary, lastPrices: lastPrices,
                           pendingEntries: pendingEntries.dictionary,
                           risk: risk, latestSnapshot: latestSnapshot, actedOn: Set(actedOn.map(\.text)),
                           nextOrderNumber: nextOrderNumber, runID: runID, statistics: stats,
                           fundingCountedThrough: fundingCountedThrough, entriesPaused: entriesPaused ? true : nil)
    }

    /// An engine that carries on from a saved state; `closedTrades` come back from the journal. The run keeps its
    /// id; a state saved before runs had ids takes `newRunID`.
    public init(settings: EngineSettings, instruments: [Instrument], revalidator: any SignalRevalidator,
                restoring saved: EngineState, closedTrades: [ClosedTrade], newRunID: RunID) {
        self.init(settings: settings, instruments: instruments, startingCash: saved.cash, revalidator: revalidator,
                  startTime: saved.statistics.lastTime ?? Timestamp(seconds: 0), runID: saved.runID ?? newRunID)
        cash = saved.cash
        positions = PositionBook(saved.positions)
        for (symbol, price) in saved.lastPrices.sorted(by: { $0.key < $1.key }) { _ = marks.record(price, for: symbol) }
        pendingEntries = OrderIDMap(saved.pendingEntries)
        risk = saved.risk
        latestSnapshot = saved.latestSnapshot
        // Oldest snapshot first, as the engine keeps them.
        actedOn = saved.actedOn.compactMap(OpportunityKey.init(text:))
            .sorted { ($0.sequence, $0.symbol) < ($1.sequence, $1.symbol) }
        nextOrderNumber = saved.nextOrderNumber
        // A state from before: each position's own latest payment.
        fundingCountedThrough = saved.fundingCountedThrough
            ?? saved.positions.compactMapValues(\.lastFundingAt)
        statistics = saved.statistics
        statistics.closedTrades = closedTrades
        entriesPaused = saved.entriesPaused ?? false
        revalueAll()
    }
}
