/// What the run has counted so far, read when `/metrics` is asked (each value is the run's total).
public struct APICounters: Sendable, Equatable {
    public var ordersSent = 0
    public var ordersOutcomeUnknown = 0
    public var ordersResolvedByLookup = 0
    public var ordersResent = 0
    public var tradesClosed = 0
    /// REST requests to the venue by endpoint ("GET /api/v1/positions"), for a live venue.
    public var restRequests: [String: Int] = [:]
    /// Answers that were 429s.
    public var restRateLimited = 0
    public var webSocketReconnects = 0

    public init() {}
}
