/// Something the fake does instead of answering a request normally: queued per path, each used once. `error`,
/// `rateLimited`, `stall` and `body` play before the route acts; `afterActing` and `stallAfterActing` after.
public enum FakeFault: Sendable, Equatable {
    /// An HTTP status with a KuCoin error body (`{"code", "msg"}`).
    case error(status: Int, code: String, message: String)
    /// HTTP 429 with code 429000, and the window said to reset in `resetMilliseconds`.
    case rateLimited(resetMilliseconds: Int)
    /// No answer for this long (a stall the client must time out on), then the normal answer.
    case stall(milliseconds: Int)
    /// This body, as it is, with HTTP 200.
    case body(String)
    /// The route acts (the order is placed, the cancel done), then the client gets this error instead of the answer:
    /// a 5xx after the request was processed, which a client must not take for "nothing happened".
    case afterActing(status: Int, code: String, message: String)
    /// The route acts, then its answer is held this long: the client times out though the order exists.
    case stallAfterActing(milliseconds: Int)

    /// HTTP 503 with KuCoin's internal error code.
    public static let unavailable = FakeFault.error(status: 503, code: "500000", message: "service unavailable")
}
