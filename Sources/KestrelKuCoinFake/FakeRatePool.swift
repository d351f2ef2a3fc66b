import HTTPTypes

/// One pool of request weight that fills up again each window. KuCoin meters public requests per IP and the futures
/// private ones per API key, each pool with its own quota: a client that spends one must not see the other shrink.
struct FakeRatePool {
    var spent = 0
    /// Milliseconds since the fake was made.
    var windowStart: Int64 = 0

    /// Spends `weight` at `now` (ms), a new window starting when the last one is over; what is left, when the window
    /// resets, and whether `weight` was over the quota (then nothing is spent).
    mutating func spend(_ weight: Int, now: Int64, quota: Int, window: Int64)
        -> (remaining: Int, reset: Int64, exceeded: Bool) {
        if now - windowStart >= window {
            windowStart = now
            spent = 0
        }
        let exceeded = spent + weight > quota
        if !exceeded { spent += weight }
        return (quota - spent, window - (now - windowStart), exceeded)
    }
}

extension FakeKuCoin {
    /// Each private endpoint's weight in the private pool (docs/kucoin-private.md); a path not listed is public.
    static func privateWeight(method: HTTPRequest.Method, path: String) -> Int? {
        switch (method, path) {
        case (.post, "/api/v1/orders"), (.get, "/api/v1/orders"): 2
        // By clientOid or by orderId.
        case (.get, _) where path.hasPrefix("/api/v1/orders/"): 5
        case (.delete, _) where path.hasPrefix("/api/v1/orders/"): 1
        case (.get, "/api/v1/stopOrders"): 6
        case (.get, "/api/v1/positions"): 2
        case (.get, "/api/v1/recentFills"): 3
        case (.get, "/api/v1/account-overview"): 5
        case (.get, "/api/v2/position/getMarginMode"), (.post, "/api/v2/position/changeMarginMode"): 2
        case (.post, "/api/v1/bullet-private"): 10
        default: nil
        }
    }
}
