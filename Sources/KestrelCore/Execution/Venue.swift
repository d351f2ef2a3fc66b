/// An exchange Kestrel trades on, as the engine's runtime sees it: paper and live venues alike implement this, and
/// an adapter translates its venue's messages into these types (no venue's wire types pass this line).
///
/// Everything is asynchronous and can fail. A failure is typed (`VenueError`), and one kind of failure is special:
/// `outcomeUnknown` (a timeout, a dropped connection, a 5xx or a 429 on a request that may have been acted on) never
/// means "refused". The order is looked up by its client order id until the venue says what became of it, and a
/// resend reuses the same id, so a venue's "duplicate client id" means "already placed".
public protocol Venue: Sendable {
    /// A short name for logs and the status ("paper", "kucoin").
    var name: String { get }

    /// Places an order under its client order id; returns once the venue has acknowledged it.
    func place(_ order: OrderRequest) async throws(VenueError) -> VenueOrder
    /// Cancels an order by its client order id. An order already gone is not an error.
    func cancel(_ id: ClientOrderID, symbol: String) async throws(VenueError)
    /// Replaces a resting stop by `new` (another trigger or size). A venue without an amend places `new` first and
    /// cancels `old` only once `new` is there, both reduce-only, so the position is never without a stop and never
    /// over-closed (`placeThenCancel(_:with:)`).
    func replaceStop(_ old: ClientOrderID, with new: OrderRequest) async throws(VenueError) -> VenueOrder
    /// The order with this client order id, or nil when the venue never received it.
    func order(_ id: ClientOrderID, symbol: String) async throws(VenueError) -> VenueOrder?

    /// What the venue holds now, for reconciliation: open orders (stops included), positions, the wallet and the
    /// latest fills.
    func snapshot() async throws(VenueError) -> VenueSnapshot
    /// The contracts the venue lists now.
    func instruments() async throws(VenueError) -> [Instrument]

    /// Gets ready to enter these symbols soon (they rank at the top of the latest scan): a venue reads now what an
    /// entry would otherwise have to read first. Never fails; nothing to do for most venues.
    func prepare(toEnter symbols: [String]) async

    /// Everything the venue reports as it happens, in the order it reports it (which may not be the order it
    /// happened in): one subscriber, for the life of the venue.
    var events: AsyncStream<VenueEvent> { get }
}

extension Venue {
    public func prepare(toEnter symbols: [String]) async {}

    /// `replaceStop` for a venue that cannot amend: the new stop first, then the old one cancelled. A failure to
    /// cancel the old one is not the replacement's failure: the old stop is reduce-only, and reconciliation cancels
    /// it later.
    public func placeThenCancel(_ old: ClientOrderID, with new: OrderRequest) async throws(VenueError) -> VenueOrder {
        let placed = try await place(new)
        try? await cancel(old, symbol: new.symbol)
        return placed
    }
}

/// Why a venue request failed.
public enum VenueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The venue refused it, and said why: the request was not acted on.
    case rejected(OrderRejection)
    /// No such order (to cancel, or to look up).
    case notFound
    /// Over the rate limit: nothing was done; try again after `retryAfterSeconds` (nil: unknown).
    case rateLimited(retryAfterSeconds: Double?)
    /// The venue is down or unreachable, or answered with a server error.
    case unavailable(String)
    /// No answer in time, or the connection dropped after the request left: it may have been acted on.
    case outcomeUnknown(String)
    /// The key, its signature or its permissions were refused: retrying cannot help.
    case authentication(String)
    /// The request's timestamp was too far from the venue's clock.
    case clockSkew(String)

    /// Whether a placement that failed this way may still have reached the venue: it is looked up, never taken
    /// as refused.
    public var mayHaveActed: Bool {
        switch self {
        case .outcomeUnknown, .unavailable, .rateLimited: true
        case .rejected, .notFound, .authentication, .clockSkew: false
        }
    }

    public var description: String {
        switch self {
        case .rejected(let rejection): "rejected: \(rejection)"
        case .notFound: "no such order"
        case .rateLimited(let after): "rate limited" + (after.map { ", retry after \($0)s" } ?? "")
        case .unavailable(let detail): "venue unavailable: \(detail)"
        case .outcomeUnknown(let detail): "outcome unknown: \(detail)"
        case .authentication(let detail): "authentication refused: \(detail)"
        case .clockSkew(let detail): "clock skew: \(detail)"
        }
    }
}

/// An order as a venue reports it.
public struct VenueOrder: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// Acknowledged: resting, or being filled.
        case open
        case filled
        /// Gone with `filledLots` of it filled (none, or a part).
        case cancelled
        case rejected
    }

    /// The order as it was sent (side, size, kind, reduce-only).
    public var request: OrderRequest
    /// The venue's own id for it.
    public var venueOrderID: String
    public var status: Status
    public var filledLots: Int

    public init(request: OrderRequest, venueOrderID: String, status: Status, filledLots: Int) {
        self.request = request
        self.venueOrderID = venueOrderID
        self.status = status
        self.filledLots = filledLots
    }

    public var id: ClientOrderID { request.id }
}

/// What a venue holds at one moment: what reconciliation compares the engine with.
public struct VenueSnapshot: Sendable {
    public var positions: [String: ExchangePosition]
    /// Open orders, stop orders included.
    public var openOrders: [VenueOrder]
    /// The wallet (cash) in the quote currency; nil when the venue did not say.
    public var wallet: Double?
    /// The latest fills, oldest first: fills the engine missed (while away, or lost on a dropped stream) are
    /// counted from these, each once by its trade id.
    public var recentFills: [Fill]
    /// The latest funding payments, oldest first: counted as the fills are, each once.
    public var recentFunding: [FundingPayment]

    public init(positions: [String: ExchangePosition], openOrders: [VenueOrder], wallet: Double?,
                recentFills: [Fill], recentFunding: [FundingPayment] = []) {
        self.positions = positions
        self.openOrders = openOrders
        self.wallet = wallet
        self.recentFills = recentFills
        self.recentFunding = recentFunding
    }
}

/// What a venue reports as it happens.
public enum VenueEvent: Sendable, Hashable {
    /// An order was acknowledged, filled (in part or whole), cancelled or removed; funding was paid.
    case exchange(ExchangeEvent)
    /// An order the venue refused after acknowledging the request (a stop it would not keep).
    case rejected(ClientOrderID, symbol: String, reason: String)
    /// A position changed (nil lots: closed).
    case position(ExchangePosition?, symbol: String)
    case wallet(Double)
    /// The event stream broke: events may be lost until it is back.
    case connectionLost(reason: String)
    /// The stream is back: what was missed comes back by reconciliation, never by guessing.
    case connectionRestored
    /// The venue refused the account's key (revoked, expired, its permissions taken away): nothing more can be done
    /// on the account, and retrying cannot help.
    case authenticationRefused(reason: String)
}
