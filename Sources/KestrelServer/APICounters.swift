/// What the run has counted so far, read when `/metrics` is asked (each value is the run's total, or the latest
/// reading for the rate limit).
public struct APICounters: Sendable, Equatable {
    public var ordersSent = 0
    public var ordersOutcomeUnknown = 0
    public var ordersResolvedByLookup = 0
    public var ordersResent = 0
    public var tradesClosed = 0
    /// REST requests to the venue by endpoint ("GET /api/v1/positions"), for a live venue.
    public var restRequests: [String: Int] = [:]
    /// REST answers by endpoint and HTTP status ("none": no answer came).
    public var restAnswers: [RESTAnswer: Int] = [:]
    /// Answers that were 429s.
    public var restRateLimited = 0
    /// The weight left in each rate-limit pool's window, as the venue last said.
    public var rateLimitRemaining: [String: Int] = [:]
    public var webSocketReconnects = 0

    public init() {}

    public struct RESTAnswer: Sendable, Hashable {
        public var endpoint: String
        public var status: String

        public init(endpoint: String, status: String) {
            self.endpoint = endpoint
            self.status = status
        }
    }
}
