/// Kestrel's decisions, in one deterministic state machine: events in, commands out, nothing awaited inside.
///
/// The same engine runs paper trading and live trading (fed by concurrent services) and backtests (driven
/// synchronously at full speed). It owns the portfolio as the engine sees it (cash, positions, orders in flight,
/// realised PnL) and the risk state (equity peak, streaks, daily loss, cool-downs, Kelly statistics).
public struct TradingEngine: Sendable {
    public struct Output: Sendable {
        public var commands: [EngineCommand] = []
        public var notes: [EngineNote] = []
        /// From `EngineSettings.recordsNotes`: when false, `note(_:)` does not even build the note.
        var recordsNotes = true

        mutating func note(_ note: @autoclosure () -> EngineNote) {
            if recordsNotes { notes.append(note()) }
        }

        /// An output for an engine whose settings say whether it keeps notes.
        public init(recordsNotes: Bool) { self.recordsNotes = recordsNotes }

        /// Empties the output for the next event, keeping its storage.
        public mutating func removeAll() {
            // Emptying an empty array is not free, and most events leave both empty.
            if !commands.isEmpty { commands.removeAll(keepingCapacity: true) }
            if !notes.isEmpty { notes.removeAll(keepingCapacity: true) }
        }
    }

    /// An empty output that keeps notes as the settings say.
    public var emptyOutput: Output { Output(recordsNotes: settings.recordsNotes) }

    /// An entry order sent and not yet filled.
    struct PendingEntry: Sendable, Codable, Equatable {
        var request: OrderRequest
        var opportunity: Opportunity
        var signal: SignalResult
        var stopDistance: Double
    }

    public private(set) var settings: EngineSettings
    public private(set) var riskManager: RiskManager
    /// The run every order id carries (see `ClientOrderID`).
    public let runID: RunID
    public internal(set) var instruments: [String: Instrument]
    /// The same instruments by slot, for the lookups made at every entry and every look at an opportunity.
    private var listedSlots: SymbolSlots
    private var listed: [Instrument]
    let revalidator: any SignalRevalidator

    // Portfolio.
    public internal(set) var cash: Double
    public internal(set) var positions = PositionBook()
    /// The latest price of every symbol heard of.
    public var lastPrices: [String: Double] { marks.dictionary }
    var marks: PriceMarks
    var pendingEntries = OrderIDMap<PendingEntry>()
    public internal(set) var risk: RiskState

    // Opportunities.
    public internal(set) var latestSnapshot: ScanSnapshot?
    /// An opportunity: the snapshot it came in and its symbol.
    struct OpportunityKey: Sendable {
        var sequence: Int
        var symbol: String

        /// "sequence/symbol", as saved states hold it.
        var text: String { "\(sequence)/\(symbol)" }

        init(sequence: Int, symbol: String) {
            self.sequence = sequence
            self.symbol = symbol
        }

        init?(text: String) {
            guard let slash = text.firstIndex(of: "/"), let sequence = Int(text[..<slash]) else { return nil }
            self.init(sequence: sequence, symbol: String(text[text.index(after: slash)...]))
        }
    }

    /// Every opportunity already acted on in the recent snapshots, oldest snapshot first. A few at most (the
    /// entries of the last ten snapshots), looked at for every opportunity at every tick: a short list costs
    /// less than hashing sequence and symbol.
    var actedOn: [OpportunityKey] = []

    func hasActed(on symbol: String, inSnapshot sequence: Int) -> Bool {
        actedOn.contains { $0.sequence == sequence && $0.symbol == symbol }
    }
    var nextOrderNumber = 1
    /// Set by the shutdown event: no new entries from then on.
    var isShuttingDown = false
    /// Paused by a person (`EngineControl.pauseEntries`): no new entries until resumed. Saved with the state.
    public internal(set) var entriesPaused = false
    /// Symbols where the venue holds a position that is not Kestrel's (opened by hand), as the last reconciliation
    /// found them: not entered, since a one-way account would merge Kestrel's order into that position.
    var foreignSymbols: Set<String> = []
    /// The trade ids of the fills already counted: at least the last 2,048 (a venue's snapshot of recent fills holds
    /// fewer; KuCoin's, a day's, at most 1,000).
    var seenTradeIDs = RecentIDs<TradeID>(capacity: 2_048)
    /// The time of the latest funding payment counted, per symbol (see `apply(_:into:)`).
    var fundingCountedThrough: [String: Timestamp] = [:]
    /// The cash and valuations the drawdown last saw equity at (see `record(slot:_:at:into:)`).
    private var observedEquityInputs: (cash: Double, valuationVersion: Int) = (.nan, -1)

    public internal(set) var statistics = EngineStatistics()

    /// Brings the valuation equity reads in line with the position on `symbol` (after it opens, changes size or
    /// closes).
    mutating func revalue(_ symbol: String) {
        let slot = marks.slot(symbol)
        // Read in place: the book's getter would copy the whole position.
        guard let index = positions.index(forKey: symbol) else {
            marks.setValuation(nil, at: slot)
            return
        }
        let valuation = Self.valuation(of: &positions.values[index], price: marks.price(at: slot))
        marks.setValuation(valuation, at: slot)
    }

    /// `inout` only to read in place.
    private static func valuation(of position: inout ManagedPosition, price: Double?) -> PriceMarks.Valuation {
        PriceMarks.Valuation(sign: position.side.sign, quantity: position.instrument.baseQuantity(lots: position.lots),
                             entry: position.entryPrice, price: price ?? position.entryPrice,
                             leverage: Double(position.leverage))
    }

    mutating func revalueAll() {
        marks.removeAllValuations()
        for symbol in positions.keys { revalue(symbol) }
    }

    public init(settings: EngineSettings, instruments: [Instrument], startingCash: Double,
                revalidator: any SignalRevalidator, startTime: Timestamp, runID: RunID) {
        self.settings = settings
        self.runID = runID
        riskManager = RiskManager(settings: settings.risk, maintenanceMarginRate: settings.maintenanceMarginRate)
        self.instruments = Dictionary(instruments.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        (listedSlots, listed) = Self.slotted(instruments)
        self.revalidator = revalidator
        marks = PriceMarks(symbols: instruments.map(\.symbol))
        cash = startingCash
        risk = RiskState(equity: startingCash, time: startTime)
        statistics.equityPeak = startingCash
    }

    // MARK: Portfolio

    public var equity: Double { marks.equity(cash: cash) }

    /// Cash less the margin of open positions and entries in flight, and less unrealised losses.
    public var availableMargin: Double {
        var available = marks.cashLessMarginAndLosses(cash: cash)
        for entry in pendingEntries.values {
            available -= entry.opportunity.instrument.baseQuantity(lots: entry.request.lots) * entry.opportunity.price
                / Double(entry.request.leverage)
        }
        return available
    }

    /// How many symbols have a position or an entry in flight (an entry is only sent for a symbol without one).
    var committedCount: Int { positions.count + pendingEntries.count }

    /// The instruments, each once, and their slots.
    private static func slotted(_ instruments: [Instrument]) -> (SymbolSlots, [Instrument]) {
        var slots = SymbolSlots()
        var listed = [Instrument]()
        for instrument in instruments where slots.slot(of: instrument.symbol) == nil {
            _ = slots.slot(adding: instrument.symbol)
            listed.append(instrument)
        }
        return (slots, listed)
    }

    /// What the venue lists now (a venue lists new contracts every week, and delists some): a new one can be
    /// traded from now on, a delisted one is not entered again. A position held on a delisted contract is still
    /// managed to its end, with the instrument it was opened on.
    public mutating func updateListing(_ instruments: [Instrument]) {
        self.instruments = Dictionary(instruments.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        (listedSlots, listed) = Self.slotted(instruments)
    }

    /// The engine's instrument for `symbol`: `instruments[symbol]`, found by slot.
    func listedInstrument(_ symbol: String) -> Instrument? { listedSlots.slot(of: symbol).map { listed[$0] } }
    /// Whether `symbol` is listed, with no copy of its instrument (asked of every opportunity looked at).
    func isListed(_ symbol: String) -> Bool { listedSlots.slot(of: symbol) != nil }
    /// The base asset of listed `symbol`, read in place.
    func listedBase(_ symbol: String) -> String? { listedSlots.slot(of: symbol).map { listed[$0].base } }

    /// How many symbols with a position or an entry in flight are in the risk group `group`, by their base asset
    /// (the engine's instrument's, when it lists the symbol).
    func committedCount(inGroup group: String) -> Int {
        var count = 0
        // Read in place: iterating the values would copy each whole position and entry.
        for index in positions.values.indices {
            let symbol = positions.values[index].symbol
            let base = listedBase(symbol) ?? positions.values[index].instrument.base
            if RiskManager.group(ofBase: base) == group { count += 1 }
        }
        for index in pendingEntries.values.indices
        where RiskManager.group(ofBase: pendingEntries.values[index].opportunity.instrument.base) == group {
            count += 1
        }
        return count
    }

    /// How many orders the engine has made ids for (in this run, across restarts).
    public var ordersMade: Int { nextOrderNumber - 1 }

    mutating func makeOrderID(_ role: ClientOrderID.Role, _ symbol: String) -> ClientOrderID {
        defer { nextOrderNumber += 1 }
        return ClientOrderID(run: runID, number: nextOrderNumber, role: role, symbol: symbol)
    }

    // MARK: Events

    /// The slot of `symbol`, made on first sight, for callers that send it many prices (`price(slot:...)`).
    public mutating func priceSlot(of symbol: String) -> Int { marks.slot(symbol) }

    /// Whether price slot `slot` is `symbol`'s.
    public func priceSlot(_ slot: Int, is symbol: String) -> Bool {
        slot >= 0 && slot < marks.count && marks.symbol(at: slot) == symbol
    }

    /// A new trade price for the symbol in `slot` (from `priceSlot(of:)`); the same as `handle(.price(...))`, for
    /// callers that send millions of them.
    public mutating func price(slot: Int, _ price: Double, at time: Timestamp) -> Output {
        var output = emptyOutput
        self.price(slot: slot, price, at: time, into: &output)
        return output
    }

    /// `price(slot:_:at:)`, adding to `output`: a caller that sends millions of prices keeps one output and
    /// clears it (`Output.removeAll()`) between calls, instead of receiving new arrays each time.
    public mutating func price(slot: Int, _ price: Double, at time: Timestamp, into output: inout Output) {
        guard slot >= 0, slot < marks.count else { return }
        record(slot: slot, price, at: time, into: &output)
    }

    private mutating func price(_ symbol: String, _ price: Double, at time: Timestamp, into output: inout Output) {
        record(slot: marks.slot(symbol), price, at: time, into: &output)
    }

    private mutating func record(slot: Int, _ price: Double, at time: Timestamp, into output: inout Output) {
        guard price.isFinite, price > 0 else { return }
        statistics.lastTime = time
        if marks.record(price, at: slot) { manage(slot: slot, price: price, at: time, into: &output) }
        // Equity moves only with cash or a valuation. Nearly half the prices are for symbols without a position:
        // they find it where the drawdown last saw it, and it need not be summed again.
        if cash != observedEquityInputs.cash || marks.valuationVersion != observedEquityInputs.valuationVersion {
            statistics.observe(equity: equity)
            observedEquityInputs = (cash, marks.valuationVersion)
        }
    }

    public mutating func handle(_ event: EngineEvent) -> Output {
        var output = emptyOutput
        handle(event, into: &output)
        return output
    }

    /// `handle(_:)`, adding to `output` (see `price(slot:_:at:into:)`).
    public mutating func handle(_ event: EngineEvent, into output: inout Output) {
        switch event {
        case .snapshot(let snapshot):
            // Announce a snapshot only when it says something new: scans repeat themselves most of the time.
            let announce = settings.recordsNotes && latestSnapshot.map { previous in
                !previous.opportunities.elementsEqual(snapshot.opportunities) {
                    $0.symbol == $1.symbol && $0.signal == $1.signal
                }
            } ?? true
            latestSnapshot = snapshot
            // Only recent snapshots can still be traded: forget what was acted on in older ones.
            let oldest = snapshot.sequence - 10
            // Oldest first, so the stale ones lead; most snapshots find none.
            if let first = actedOn.first, first.sequence < oldest { actedOn.removeAll { $0.sequence < oldest } }
            statistics.snapshots += 1
            let now = max(snapshot.scanFinished, statistics.lastTime ?? snapshot.scanFinished)
            considerEntries(at: now, announce: announce, into: &output)
        case .price(let symbol, let price, let time):
            self.price(symbol, price, at: time, into: &output)
        case .exchange(let exchangeEvent):
            apply(exchangeEvent, into: &output)
        case .rejected(let request, let rejection, let time):
            handleRejection(request, rejection, at: time, into: &output)
        case .tick(let time):
            monitorTick(at: time, into: &output)
        case .shutdown(let time):
            // The exits it sends free slots as they fill: nothing is entered in them any more.
            isShuttingDown = true
            if settings.closePositionsOnShutdown {
                // In symbol order, as the book keeps them.
                for symbol in positions.keys { exit(symbol, reason: .shutdown, at: time, into: &output) }
            }
        case .control(let control, let time):
            apply(control, at: time, into: &output)
        }
    }
}

extension TradingEngine {
    /// A person's command. Closing sends the exit at market at once; the position's stop is cancelled when the exit
    /// has filled, as for any exit (a symbol with no position is left as it is).
    mutating func apply(_ control: EngineControl, at time: Timestamp, into output: inout Output) {
        switch control {
        case .pauseEntries:
            entriesPaused = true
        case .resumeEntries:
            entriesPaused = false
            considerEntries(at: time, announce: false, into: &output)
        case .close(let symbol):
            exit(symbol, reason: .manual, at: time, into: &output)
        case .closeAll:
            for symbol in positions.keys { exit(symbol, reason: .manual, at: time, into: &output) }
        case .cancelOrders:
            for position in positions.values {
                for target in position.targetOrders.keys {
                    output.commands.append(.cancel(target, symbol: position.symbol))
                }
            }
        case .applySettings(let new, _):
            settings = new.keepingVenueFigures(of: settings)
            riskManager.settings = settings.risk
            considerEntries(at: time, announce: false, into: &output)
        }
    }
}

/// Counters and measurements for the run summary.
public struct EngineStatistics: Sendable, Equatable {
    public var snapshots = 0
    public var entriesSubmitted = 0
    public var tradesOpened = 0
    public var closedTrades: [ClosedTrade] = []
    public var rejections = 0
    /// Age (engine seconds) of the snapshot each entry order came from.
    public var snapshotAges: [Int64] = []
    public var monitorTicks = 0
    public var lastMonitorTick: Timestamp?
    public var maxMonitorGapSeconds: Int64 = 0
    public var equityPeak = 0.0
    public var maxDrawdown = 0.0
    public var lastTime: Timestamp?
    /// Fills reported again (the same trade id) and ignored.
    public var duplicateFills = 0
    /// Stops replaced by a new one (moved or resized).
    public var stopsReplaced = 0
    /// The longest a position was open without an acknowledged stop, engine seconds.
    public var maxUnprotectedSeconds: Int64 = 0
    /// Positions closed because no stop could be placed in time.
    public var closedUnprotected = 0

    public init() {}

    mutating func observe(equity: Double) {
        equityPeak = max(equityPeak, equity)
        // Observed at every price: a drawdown short of the deepest (by more than rounding) skips the division.
        guard equityPeak > 0, equityPeak - equity > maxDrawdown * equityPeak * (1 - 1e-12) else { return }
        maxDrawdown = max(maxDrawdown, (equityPeak - equity) / equityPeak)
    }

    public var realizedPnL: Double { closedTrades.reduce(0) { $0 + $1.pnl } }
    public var winRate: Double {
        closedTrades.isEmpty ? 0 : Double(closedTrades.filter { $0.pnl > 0 }.count) / Double(closedTrades.count)
    }
}

extension EngineStatistics: Codable {
    enum CodingKeys: String, CodingKey {
        case snapshots, entriesSubmitted, tradesOpened, closedTrades, rejections, snapshotAges, monitorTicks
        case lastMonitorTick, maxMonitorGapSeconds, equityPeak, maxDrawdown, lastTime, duplicateFills, stopsReplaced
        case maxUnprotectedSeconds, closedUnprotected
    }

    /// Reads this version's saved form and earlier ones, which lack the later counters (they start at 0).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        snapshots = try c.decode(Int.self, forKey: .snapshots)
        entriesSubmitted = try c.decode(Int.self, forKey: .entriesSubmitted)
        tradesOpened = try c.decode(Int.self, forKey: .tradesOpened)
        closedTrades = try c.decode([ClosedTrade].self, forKey: .closedTrades)
        rejections = try c.decode(Int.self, forKey: .rejections)
        snapshotAges = try c.decode([Int64].self, forKey: .snapshotAges)
        monitorTicks = try c.decode(Int.self, forKey: .monitorTicks)
        lastMonitorTick = try c.decodeIfPresent(Timestamp.self, forKey: .lastMonitorTick)
        maxMonitorGapSeconds = try c.decode(Int64.self, forKey: .maxMonitorGapSeconds)
        equityPeak = try c.decode(Double.self, forKey: .equityPeak)
        maxDrawdown = try c.decode(Double.self, forKey: .maxDrawdown)
        lastTime = try c.decodeIfPresent(Timestamp.self, forKey: .lastTime)
        duplicateFills = try c.decodeIfPresent(Int.self, forKey: .duplicateFills) ?? 0
        stopsReplaced = try c.decodeIfPresent(Int.self, forKey: .stopsReplaced) ?? 0
        maxUnprotectedSeconds = try c.decodeIfPresent(Int64.self, forKey: .maxUnprotectedSeconds) ?? 0
        closedUnprotected = try c.decodeIfPresent(Int.self, forKey: .closedUnprotected) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(snapshots, forKey: .snapshots)
        try c.encode(entriesSubmitted, forKey: .entriesSubmitted)
        try c.encode(tradesOpened, forKey: .tradesOpened)
        try c.encode(closedTrades, forKey: .closedTrades)
        try c.encode(rejections, forKey: .rejections)
        try c.encode(snapshotAges, forKey: .snapshotAges)
        try c.encode(monitorTicks, forKey: .monitorTicks)
        try c.encodeIfPresent(lastMonitorTick, forKey: .lastMonitorTick)
        try c.encode(maxMonitorGapSeconds, forKey: .maxMonitorGapSeconds)
        try c.encode(equityPeak, forKey: .equityPeak)
        try c.encode(maxDrawdown, forKey: .maxDrawdown)
        try c.encodeIfPresent(lastTime, forKey: .lastTime)
        try c.encode(duplicateFills, forKey: .duplicateFills)
        try c.encode(stopsReplaced, forKey: .stopsReplaced)
        try c.encode(maxUnprotectedSeconds, forKey: .maxUnprotectedSeconds)
        try c.encode(closedUnprotected, forKey: .closedUnprotected)
    }
}
