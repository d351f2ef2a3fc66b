/// A funding payment credited to (positive) or taken from (negative) the wallet.
public struct FundingPayment: Sendable, Hashable, Codable {
    public var symbol: String
    public var amount: Double
    public var time: Timestamp

    public init(symbol: String, amount: Double, time: Timestamp) {
        self.symbol = symbol
        self.amount = amount
        self.time = time
    }
}

/// What became of an order that was sent.
public enum OrderOutcome: Sendable, Hashable {
    case accepted(ClientOrderID)
    case rejected(ClientOrderID, reason: String)
    /// Removed by the exchange or cancelled by Kestrel.
    case cancelled(ClientOrderID)
    /// Sent, and no answer came: it is being looked up by its client order id.
    case unknown(ClientOrderID, reason: String)
}

/// A person's command (`EngineControl`), as the journal keeps it: what was asked, from where, and what it did.
public struct ControlRecord: Sendable, Hashable {
    public var action: String
    /// Where it came from ("api 127.0.0.1").
    public var source: String
    public var detail: String

    public init(action: String, source: String, detail: String) {
        self.action = action
        self.source = source
        self.detail = detail
    }
}

/// Everything one event led to, to be recorded atomically with the state it left behind.
public struct JournalEntry: Sendable {
    public var time: Timestamp
    public var outcomes: [OrderOutcome] = []
    public var fills: [Fill] = []
    public var funding: [FundingPayment] = []
    public var closedTrades: [ClosedTrade] = []
    public var controls: [ControlRecord] = []
    /// The engine's and the paper exchange's state after the event (nil: unchanged since the last entry).
    public var engine: EngineState? {
        get { states?.engine }
        set { states = SavedStates(engine: newValue, exchange: exchange) }
    }

    public var exchange: PaperExchange? {
        get { states?.exchange }
        set { states = SavedStates(engine: engine, exchange: newValue) }
    }

    public var equity: Double?

    /// The two states, boxed: an entry is made for every event, and most carry no state, so it should cost a
    /// pointer rather than hundreds of bytes to make and copy.
    private final class SavedStates: Sendable {
        let engine: EngineState?
        let exchange: PaperExchange?

        init(engine: EngineState?, exchange: PaperExchange?) {
            self.engine = engine
            self.exchange = exchange
        }
    }

    private var states: SavedStates?

    public init(time: Timestamp) { self.time = time }

    /// Adds what `event` tells the journal: a fill, a funding payment, an order cancelled or refused. Every desk
    /// records what its engine hears this one way.
    public mutating func record(_ event: EngineEvent) {
        switch event {
        case .exchange(.fill(let fill)): fills.append(fill)
        case .exchange(.funding(let symbol, let amount, let time)):
            funding.append(FundingPayment(symbol: symbol, amount: amount, time: time))
        case .exchange(.orderCancelled(let id, _)): outcomes.append(.cancelled(id))
        case .rejected(let request, let rejection, _):
            outcomes.append(.rejected(request.id, reason: rejection.description))
        default: break
        }
    }

    public var isEmpty: Bool {
        outcomes.isEmpty && fills.isEmpty && funding.isEmpty && closedTrades.isEmpty && controls.isEmpty
            && engine == nil && exchange == nil
    }
}

/// The durable record of what Kestrel does. An order's intent is written before the order is sent, so after a crash
/// Kestrel knows every order it might have placed and can resolve each by its client order id.
public protocol TradingJournal: Sendable {
    /// Records an order before it is sent. If this throws, the order must not be sent.
    func recordIntent(_ order: OrderRequest, at time: Timestamp) throws
    /// Records what an event led to, in one transaction.
    func commit(_ entry: JournalEntry) throws
    /// Records a published scan: what was found, when, how long it took.
    func recordScan(_ snapshot: ScanSnapshot, durationMilliseconds: Double) throws
}
