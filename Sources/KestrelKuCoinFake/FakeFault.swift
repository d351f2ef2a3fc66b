/// Something the fake does instead of answering a request normally: queued per path, each used once.
public enum FakeFault: Sendable, Equatable {
    /// An HTTP status with a KuCoin error body (`{"code", "msg"}`).
    case error(status: Int, code: String, message: String)
    /// HTTP 429 with code 429000, and the window said to reset in `resetMilliseconds`.
    case rateLimited(resetMilliseconds: Int)
    /// No answer for this long (a stall the client must time out on), then the normal answer.
    case stall(milliseconds: Int)
    /// This body, as it is, with HTTP 200.
    case body(String)

    /// HTTP 503 with KuCoin's internal error code.
    public static let unavailable = FakeFault.error(status: 503, code: "500000", message: "service unavailable")
}
