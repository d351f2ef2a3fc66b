/// One published scan: the opportunities and when the scan ran, in engine time.
public struct ScanSnapshot: Sendable, Equatable, Codable {
    /// Increases by one with every scan; an opportunity is identified by (sequence, symbol).
    public var sequence: Int
    public var opportunities: [Opportunity]
    public var scanStarted: Timestamp
    public var scanFinished: Timestamp

    public init(sequence: Int, opportunities: [Opportunity], scanStarted: Timestamp, scanFinished: Timestamp) {
        self.sequence = sequence
        self.opportunities = opportunities
        self.scanStarted = scanStarted
        self.scanFinished = scanFinished
    }

    /// Seconds since the scan finished.
    public func age(at time: Timestamp) -> Int64 { max(0, time - scanFinished) }
}

/// Something that happened, fed to the engine.
public enum EngineEvent: Sendable {
    /// The scanner published a new snapshot.
    case snapshot(ScanSnapshot)
    /// A new trade price.
    case price(symbol: String, price: Double, time: Timestamp)
    /// The exchange reported a fill, funding or an order it removed.
    // Held inline: a box would be allocated and freed for each of the five or so events of every trade, which
    // costs more than copying the hundred bytes of a fill as the event goes through the desk.
    case exchange(ExchangeEvent)
    /// The exchange refused an order the engine asked for.
    // Boxed: rare, and without the box every event would be copied at the size of a rejected order.
    indirect case rejected(OrderRequest, OrderRejection, time: Timestamp)
    /// The position monitor's periodic tick.
    case tick(Timestamp)
    /// The bot is stopping.
    case shutdown(Timestamp)
    /// A person's command (pause, resume, close).
    // Boxed: rare, and it would otherwise widen every event.
    indirect case control(EngineControl, time: Timestamp)
}

/// What the engine asks the exchange to do.
public enum EngineCommand: Sendable, Equatable {
    case place(OrderRequest)
    case cancel(ClientOrderID, symbol: String)
    /// Replace a resting stop by a new one (a new trigger or size): the new one is placed first and the old one
    /// cancelled only once it is, so the position is never without a stop, and both being reduce-only, never
    /// over-closed. A venue that can amend in place may do that, reporting the new id.
    case replaceStop(ClientOrderID, with: OrderRequest)
}

/// What the engine has to say about what it did, for logs and reports; it never affects decisions.
public enum EngineNote: Sendable, Equatable {
    // The cases that carry a whole position, order or opportunity are boxed, so the frequent small notes (a stop
    // moved) are not copied at the size of the largest.
    case processing(count: Int, snapshotAge: Int64, sequence: Int)
    case staleSnapshot(age: Int64, limit: Int64)
    indirect case evaluating(Opportunity)
    case skipped(symbol: String, reason: String)
    indirect case entrySubmitted(OrderRequest, price: Double, stopDistance: Double)
    indirect case opened(ManagedPosition)
    case stopMoved(symbol: String, from: Double, to: Double, kind: ManagedPosition.StopKind)
    case partialExit(symbol: String, lots: Int, price: Double, pnl: Double)
    indirect case closed(ClosedTrade)
    indirect case orderRejected(OrderRequest, OrderRejection)
    /// A fill whose trade id was counted already (a venue reported it twice): ignored.
    indirect case duplicateFill(Fill)
    /// No acknowledged stop has protected the position for `seconds`: it is being closed.
    case unprotected(symbol: String, seconds: Int64)
    case monitor(positions: Int, equity: Double)
}

/// A trade from entry to its last exit.
public struct ClosedTrade: Sendable, Equatable, Codable {
    public var symbol: String
    public var side: PositionSide
    public var lots: Int
    public var entryPrice: Double
    /// Lot-weighted average of all exits.
    public var exitPrice: Double
    public var openedAt: Timestamp
    public var closedAt: Timestamp
    public var reason: ExitReason
    /// Net of every fee and funding payment.
    public var pnl: Double
    public var fees: Double
    public var funding: Double

    public init(symbol: String, side: PositionSide, lots: Int, entryPrice: Double, exitPrice: Double,
                openedAt: Timestamp, closedAt: Timestamp, reason: ExitReason, pnl: Double, fees: Double,
                funding: Double) {
        self.symbol = symbol
        self.side = side
        self.lots = lots
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.reason = reason
        self.pnl = pnl
        self.fees = fees
        self.funding = funding
    }
}

/// Settings of the deterministic engine.
public struct EngineSettings: Sendable, Hashable {
    public struct PartialTakeProfit: Sendable, Hashable {
        /// Leveraged PnL (price move x leverage) at which to take this part.
        public var leveragedPnL: Double
        /// Share of the initial size to close.
        public var fraction: Double

        public init(leveragedPnL: Double, fraction: Double) {
            self.leveragedPnL = leveragedPnL
            self.fraction = fraction
        }
    }

    public var risk: RiskSettings
    /// Opportunities from a snapshot older than this are not traded (default 2 x CHECK_INTERVAL).
    public var maxOpportunityAgeSeconds: Int64
    /// An opportunity whose price moved more than this fraction since the scan is not traded.
    public var maxPriceDrift: Double
    public var maxHoldSeconds: Int64
    public var breakEvenTrigger: Double
    public var breakEvenOffset: Double
    public var profitLockTrigger: Double
    public var profitLockGiveBack: Double
    public var partialTakeProfits: [PartialTakeProfit]
    public var closePositionsOnShutdown: Bool
    /// A position whose stop the venue has not acknowledged for this long is closed at market.
    public var stopGraceSeconds: Int64
    /// How long after a refused stop a new one is sent.
    public var stopRetrySeconds: Int64
    /// A stop is moved at most this often, and only by at least `stopAmendMinStep` of its price (and a tick): each
    /// move costs requests, and trailing on every tick would spend a venue's rate limit.
    public var stopAmendIntervalSeconds: Int64
    public var stopAmendMinStep: Double
    /// The venue's fees and maintenance rate, which sizing accounts for.
    public var takerFee: Double
    public var maintenanceMarginRate: Double
    /// Whether the engine writes notes (what it did and why, for logs and the journal's closed trades). A run logs
    /// them; a backtest reads its trades from the engine's statistics and has no one to read notes, so it saves
    /// the work.
    public var recordsNotes = true

    public init(risk: RiskSettings = RiskSettings(), maxOpportunityAgeSeconds: Int64 = 120, maxPriceDrift: Double = 0.005,
                maxHoldSeconds: Int64 = 86_400, breakEvenTrigger: Double = 0.015, breakEvenOffset: Double = 0.005,
                profitLockTrigger: Double = 0.03, profitLockGiveBack: Double = 0.3,
                partialTakeProfits: [PartialTakeProfit] = [.init(leveragedPnL: 0.02, fraction: 0.25),
                                                           .init(leveragedPnL: 0.04, fraction: 0.25),
                                                           .init(leveragedPnL: 0.06, fraction: 0.5)],
                closePositionsOnShutdown: Bool = false, stopGraceSeconds: Int64 = 10, stopRetrySeconds: Int64 = 2,
                stopAmendIntervalSeconds: Int64 = 0, stopAmendMinStep: Double = 0.0005, takerFee: Double = 0.0006,
                maintenanceMarginRate: Double = 0.005) {
        self.risk = risk
        self.maxOpportunityAgeSeconds = maxOpportunityAgeSeconds
        self.maxPriceDrift = maxPriceDrift
        self.maxHoldSeconds = maxHoldSeconds
        self.breakEvenTrigger = breakEvenTrigger
        self.breakEvenOffset = breakEvenOffset
        self.profitLockTrigger = profitLockTrigger
        self.profitLockGiveBack = profitLockGiveBack
        self.partialTakeProfits = partialTakeProfits
        self.closePositionsOnShutdown = closePositionsOnShutdown
        self.stopGraceSeconds = stopGraceSeconds
        self.stopRetrySeconds = stopRetrySeconds
        self.stopAmendIntervalSeconds = stopAmendIntervalSeconds
        self.stopAmendMinStep = stopAmendMinStep
        self.takerFee = takerFee
        self.maintenanceMarginRate = maintenanceMarginRate
    }
}

/// Re-checks a signal on a symbol's latest data, synchronously: the engine calls it just before ordering and on
/// every monitor tick, so it must be cheap (streaming indicators) and must not wait.
public protocol SignalRevalidator: Sendable {
    func revalidate(symbol: String, at time: Timestamp) -> SignalResult?
    /// The momentum and RSI of `revalidate(symbol:at:)`'s verdict: all the monitor's reversal check reads, at every
    /// tick for every position. A revalidator that keeps its verdicts can hand these out without copying a verdict.
    func momentumAndRSI(symbol: String, at time: Timestamp) -> (momentum: Double, rsi: Double)?
}

extension SignalRevalidator {
    public func momentumAndRSI(symbol: String, at time: Timestamp) -> (momentum: Double, rsi: Double)? {
        revalidate(symbol: symbol, at: time).map { ($0.momentum, $0.rsi) }
    }
}

extension EngineSettings {
    /// These settings with the figures the venue gives (its taker fee, its maintenance margin rate) and the choice
    /// of keeping notes taken from `current`: what a reload may change, and what it may not.
    public func keepingVenueFigures(of current: EngineSettings) -> EngineSettings {
        var settings = self
        settings.takerFee = current.takerFee
        settings.maintenanceMarginRate = current.maintenanceMarginRate
        settings.recordsNotes = current.recordsNotes
        return settings
    }
}
