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
        public var unrealizedPnL: Double
        public var openedAt: Timestamp
    }

    /// `paper` (the paper venue) or `live`.
    public var mode: String
    public var venue: String
    public var connected: Bool
    /// Why trading stopped for good (the venue refused the key); nil while it goes on.
    public var haltReason: String?
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
            && lhs.lossStreak == rhs.lossStreak
    }
}

/// Holds the desk's latest status behind a lock held only to copy the value in or out.
public final class StatusBoard: Sendable {
    private let current: Mutex<DeskStatus>

    public init(mode: String, venue: String) { current = Mutex(DeskStatus(mode: mode, venue: venue)) }

    public var status: DeskStatus { current.withLock { $0 } }

    func publish(_ status: DeskStatus) { current.withLock { $0 = status } }
}
