public import KestrelCore
import Synchronization

/// What the desk looks like after its latest step: an immutable value, published whole, so a reader (the status,
/// the summary, the dashboard) never reads the engine in place and never holds up a trade.
public struct DeskStatus: Sendable, Equatable {
    public struct Position: Sendable, Equatable {
        public var symbol: String
        public var side: PositionSide
        public var lots: Int
        public var entryPrice: Double
        public var stopPrice: Double
        public var stopState: ManagedPosition.StopState
        /// The newest stop sent for it.
        public var stopOrderID: ClientOrderID?
        public var unrealizedPnL: Double
        public var openedAt: Timestamp
        public var takeProfit: Double
        public var leverage: Int

        public init(symbol: String, side: PositionSide, lots: Int, entryPrice: Double, stopPrice: Double,
                    stopState: ManagedPosition.StopState, stopOrderID: ClientOrderID? = nil, unrealizedPnL: Double,
                    openedAt: Timestamp, takeProfit: Double = 0, leverage: Int = 1) {
            self.takeProfit = takeProfit
            self.leverage = leverage
            self.symbol = symbol
            self.side = side
            self.lots = lots
            self.entryPrice = entryPrice
            self.stopPrice = stopPrice
            self.stopState = stopState
            self.stopOrderID = stopOrderID
            self.unrealizedPnL = unrealizedPnL
            self.openedAt = openedAt
        }
    }

    /// Equity at a moment of engine time.
    public struct EquityPoint: Sendable, Equatable {
        public var time: Timestamp
        public var equity: Double

        public init(time: Timestamp, equity: Double) {
            self.time = time
            self.equity = equity
        }
    }

    /// How many of the newest closed trades the status carries.
    public static let recentTradesKept = 500
    /// How many equity points the status carries at most (two weeks at one a minute).
    public static let equityPointsKept = 20_160

    /// `paper` (the paper venue) or `live`.
    public var mode: String
    public var venue: String
    public var connected: Bool
    /// Why trading stopped for good (the venue refused the key); nil while it goes on.
    public var haltReason: String?
    /// New entries paused by a person.
    public var entriesPaused = false
    /// Whether the journal recorded the latest step (false: a commit failed, and is retried with the next).
    public var journalHealthy = true
    /// Net PnL of every closed trade of the run.
    public var realizedPnL = 0.0
    public var equityPeak = 0.0
    /// The largest fall from a peak, as a fraction of the peak.
    public var maxDrawdown = 0.0
    /// Equity when the current UTC day began, for today's PnL.
    public var dayStartEquity = 0.0
    /// Open positions without an acknowledged stop on the venue.
    public var unprotectedPositions = 0
    /// Closed trades of the run, all of them.
    public var closedTradeCount = 0
    /// The newest closed trades, oldest first (at most `recentTradesKept`).
    public var recentTrades: [ClosedTrade] = []
    /// Equity over the run, oldest first.
    public var equityCurve: [EquityPoint] = []
    public var time: Timestamp?
    public var cash: Double
    public var equity: Double
    public var positions: [Position]
    /// Orders sent whose answer is still awaited, and those among them whose outcome is unknown (being looked up).
    public var ordersInFlight: Int
    public var unknownOrders: [ClientOrderID]
    public var latestScan: (sequence: Int, finished: Timestamp)?
    public var dailyLoss: Double
    public var lossStreak: Int
    /// Fills the venue reported (duplicates included), and the duplicates among them, counted once.
    public var fillsHeard = 0
    public var duplicateFills = 0
    /// Orders the venue refused.
    public var rejections = 0
    /// The longest the position monitor went without a tick, engine seconds.
    public var maxMonitorGapSeconds: Int64 = 0
    /// What the risk rules remember (streaks, cool-downs, the returns Kelly sizing learns from) and their limits, for
    /// a reader to work out the sizing from; copied by reference until the engine next changes them.
    public var riskState: RiskState?
    public var riskSettings = RiskSettings()
    public var maintenanceMarginRate = 0.005

    public init(mode: String, venue: String) {
        self.mode = mode
        self.venue = venue
        connected = true
        cash = 0
        equity = 0
        positions = []
        ordersInFlight = 0
        unknownOrders = []
        dailyLoss = 0
        lossStreak = 0
    }

    public static func == (lhs: DeskStatus, rhs: DeskStatus) -> Bool {
        lhs.mode == rhs.mode && lhs.venue == rhs.venue && lhs.connected == rhs.connected && lhs.haltReason == rhs.haltReason
            && lhs.time == rhs.time && lhs.cash == rhs.cash
            && lhs.equity == rhs.equity && lhs.positions == rhs.positions && lhs.ordersInFlight == rhs.ordersInFlight
            && lhs.unknownOrders == rhs.unknownOrders && lhs.latestScan?.sequence == rhs.latestScan?.sequence
            && lhs.latestScan?.finished == rhs.latestScan?.finished && lhs.dailyLoss == rhs.dailyLoss
            && lhs.lossStreak == rhs.lossStreak && lhs.entriesPaused == rhs.entriesPaused
            && lhs.journalHealthy == rhs.journalHealthy && lhs.realizedPnL == rhs.realizedPnL
            && lhs.recentTrades == rhs.recentTrades && lhs.equityCurve == rhs.equityCurve
            && lhs.fillsHeard == rhs.fillsHeard && lhs.duplicateFills == rhs.duplicateFills
            && lhs.rejections == rhs.rejections && lhs.maxMonitorGapSeconds == rhs.maxMonitorGapSeconds
            && lhs.riskState == rhs.riskState && lhs.riskSettings == rhs.riskSettings
    }
}

/// Holds the desk's latest status behind a lock held only to copy the value in or out.
public final class StatusBoard: Sendable {
    private let current: Mutex<DeskStatus>

    public init(mode: String, venue: String) { current = Mutex(DeskStatus(mode: mode, venue: venue)) }

    public var status: DeskStatus { current.withLock { $0 } }

    func publish(_ status: DeskStatus) { current.withLock { $0 = status } }
}

/// What a person's command did (`TradingDesk.control`).
public struct ControlOutcome: Sendable, Equatable {
    /// False when there was nothing to do (no such position).
    public var applied: Bool
    public var message: String

    public init(applied: Bool, message: String) {
        self.applied = applied
        self.message = message
    }
}
