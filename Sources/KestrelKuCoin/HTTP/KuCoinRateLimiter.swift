/// How urgent a request is. When a pool's weight runs low, the less urgent requests wait and leave what remains to the
/// more urgent: a position's exit or stop is never held up by market data.
public enum RequestPriority: Int, Sendable, Comparable, CaseIterable {
    case marketData
    case reconciliation
    case entry
    case protection

    /// The share of the pool's quota a request of this priority leaves untouched for the ones above it.
    var reservedShare: Double {
        switch self {
        case .marketData: 0.25
        case .reconciliation: 0.15
        case .entry: 0.05
        case .protection: 0
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One weighted budget per KuCoin resource pool, spent before each request and corrected by the
/// `gw-ratelimit-limit / -remaining / -reset` headers of every answer; a 429 closes the pool until its window resets.
///
/// Until an answer says otherwise, a pool is taken to have KuCoin's documented base quota (2000 per 30 s).
public actor KuCoinRateLimiter {
    /// A pool's budget as last known.
    public struct Budget: Sendable, Equatable {
        public var limit: Int
        public var remaining: Int
        /// When the current window ends and `remaining` is `limit` again.
        public var resetsAt: ContinuousClock.Instant
        /// Until when nothing is sent, after a 429.
        public var closedUntil: ContinuousClock.Instant?
        /// The weight of requests sent and not yet answered.
        public var inFlight = 0
    }

    private var budgets: [KuCoinEndpoint.Pool: Budget]
    private let window: Duration
    private let clock = ContinuousClock()
    /// How many times a request had to wait for weight.
    public private(set) var waits = 0

    public init(quota: Int = 2_000, window: Duration = .seconds(30)) {
        self.window = window
        let now = clock.now
        budgets = Dictionary(uniqueKeysWithValues: KuCoinEndpoint.Pool.allCases.map {
            ($0, Budget(limit: quota, remaining: quota, resetsAt: now + window, closedUntil: nil))
        })
    }

    /// The budget of `pool` now.
    public func budget(_ pool: KuCoinEndpoint.Pool) -> Budget { current(pool, at: clock.now) }

    /// Waits until `weight` can be spent from `pool` at `priority`, and spends it. Cancellable: a cancelled wait
    /// throws `CancellationError` and spends nothing.
    public func acquire(_ weight: Int, from pool: KuCoinEndpoint.Pool, priority: RequestPriority) async throws {
        var waited = false
        while true {
            try Task.checkCancellation()
            let now = clock.now
            var budget = current(pool, at: now)
            let closed = budget.closedUntil.map { now < $0 } ?? false
            let reserve = Int(Double(budget.limit) * priority.reservedShare)
            // A request heavier than the whole allowance above the reserve still goes once the window is fresh.
            let fresh = budget.remaining == budget.limit
            if !closed, budget.remaining - weight >= reserve || (fresh && budget.remaining >= weight) {
                budget.remaining -= weight
                budget.inFlight += weight
                budgets[pool] = budget
                return
            }
            budgets[pool] = budget
            if !waited {
                waited = true
                waits += 1
            }
            let until = closed ? budget.closedUntil ?? budget.resetsAt : budget.resetsAt
            try await Task.sleep(until: until, clock: clock)
        }
    }

    /// A request of `weight` from `pool` has its answer (or failed): takes in what the answer's rate-limit headers
    /// say, any of which may be missing.
    public func finished(_ weight: Int, from pool: KuCoinEndpoint.Pool, limit: Int? = nil, remaining: Int? = nil,
                         resetIn: Duration? = nil) {
        let now = clock.now
        var budget = current(pool, at: now)
        budget.inFlight = max(0, budget.inFlight - weight)
        // A quota other than the one assumed (a higher tier): the answer's count is the only one that means anything.
        var newQuota = false
        if let limit, limit > 0, limit != budget.limit {
            budget.limit = limit
            newQuota = true
        }
        if let remaining {
            // The answer's count may leave out requests still in flight: they are taken off it, which errs on the
            // side of waiting. A reset later than the one known starts a new window, whose count replaces the
            // local one; within a window the smaller count wins.
            let counted = remaining - budget.inFlight
            if newQuota {
                budget.remaining = counted
            } else if let resetIn, resetIn >= .zero, now + resetIn > budget.resetsAt + .milliseconds(500) {
                budget.remaining = counted
            } else {
                budget.remaining = min(budget.remaining, counted)
            }
        }
        if let resetIn, resetIn >= .zero { budget.resetsAt = now + resetIn }
        budget.remaining = max(0, min(budget.remaining, budget.limit))
        budgets[pool] = budget
    }

    /// A 429: nothing goes to `pool` for `duration` (until the window resets).
    public func close(_ pool: KuCoinEndpoint.Pool, for duration: Duration) {
        let now = clock.now
        var budget = current(pool, at: now)
        budget.remaining = 0
        budget.closedUntil = now + max(duration, .milliseconds(50))
        budget.resetsAt = max(budget.resetsAt, budget.closedUntil!)
        budgets[pool] = budget
    }

    /// The budget of `pool` at `now`, with a window that has ended rolled over: full again, less what is in flight
    /// (the server may count those in the new window).
    private func current(_ pool: KuCoinEndpoint.Pool, at now: ContinuousClock.Instant) -> Budget {
        var budget = budgets[pool]!
        if now >= budget.resetsAt {
            budget.remaining = max(0, budget.limit - budget.inFlight)
            budget.resetsAt = now + window
        }
        if let closedUntil = budget.closedUntil, now >= closedUntil { budget.closedUntil = nil }
        return budget
    }
}
