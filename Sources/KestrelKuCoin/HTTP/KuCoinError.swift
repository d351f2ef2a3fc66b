/// What went wrong with a request to KuCoin, with the endpoint it went to.
public enum KuCoinError: Error, Sendable, Equatable, CustomStringConvertible {
    /// KuCoin answered with an error code: in the body's `code`, with HTTP 200 for business errors.
    case api(endpoint: String, status: Int, code: String, message: String)
    /// Over the pool's quota (HTTP 429 or code 429000); the window resets after `retryAfter`.
    case rateLimited(endpoint: String, retryAfter: Duration)
    /// HTTP 5xx: KuCoin could not answer. Whether it acted on the request is unknown.
    case unavailable(endpoint: String, status: Int)
    /// No answer in time. Whether KuCoin acted on the request is unknown.
    case timedOut(endpoint: String)
    /// The connection failed (refused, reset, closed early, TLS).
    case transport(endpoint: String, reason: String)
    /// An answer that is not what the documentation describes: not JSON, or a field missing or of the wrong kind.
    case malformed(endpoint: String, status: Int, reason: String)

    public var endpoint: String {
        switch self {
        case .api(let endpoint, _, _, _), .rateLimited(let endpoint, _), .unavailable(let endpoint, _),
             .timedOut(let endpoint), .transport(let endpoint, _), .malformed(let endpoint, _, _):
            endpoint
        }
    }

    /// The KuCoin error code, for an error KuCoin answered with.
    public var code: String? {
        if case .api(_, _, let code, _) = self { return code }
        return nil
    }

    /// Whether a read may be sent again: the failure says nothing about the request itself.
    public var isTransient: Bool {
        switch self {
        case .rateLimited, .unavailable, .timedOut, .transport: true
        case .api(_, _, let code, _): code == KuCoinErrorCode.internalError || code == KuCoinErrorCode.tooManyRequests
        case .malformed: false
        }
    }

    /// Whether the key, passphrase, signature or clock was refused: retrying cannot help.
    public var isAuthentication: Bool {
        guard let code else { return false }
        return KuCoinErrorCode.authentication.contains(code)
    }

    public var description: String {
        switch self {
        case .api(let endpoint, let status, let code, let message):
            let meaning = KuCoinErrorCode.meaning[code].map { " (\($0))" } ?? ""
            return "\(endpoint): KuCoin error \(code)\(meaning), HTTP \(status): \(message.isEmpty ? "no message" : message)"
        case .rateLimited(let endpoint, let retryAfter):
            return "\(endpoint): rate limited, the window resets in \(retryAfter.wholeMilliseconds) ms"
        case .unavailable(let endpoint, let status):
            return "\(endpoint): KuCoin unavailable, HTTP \(status)"
        case .timedOut(let endpoint):
            return "\(endpoint): no answer in time"
        case .transport(let endpoint, let reason):
            return "\(endpoint): connection failed: \(reason)"
        case .malformed(let endpoint, let status, let reason):
            return "\(endpoint): unexpected answer (HTTP \(status)): \(reason)"
        }
    }
}

/// KuCoin Futures' error codes that Kestrel tells apart (docs/kucoin.md, "Envelope and errors").
public enum KuCoinErrorCode {
    public static let success = "200000"
    public static let invalidParameters = "100001"
    public static let notCancellable = "100004"
    public static let invalidSymbol = "200003"
    public static let insufficientBalance = "300003"
    public static let noPosition = "300009"
    public static let duplicateClientOrderID = "300018"
    public static let marginModeMismatch = "330005"
    public static let headersMissing = "400001"
    public static let timestampOutOfRange = "400002"
    public static let tooManyRequests = "429000"
    public static let internalError = "500000"
    public static let authentication: Set<String> = ["400001", "400002", "400003", "400004", "400005"]

    static let meaning: [String: String] = [
        "100001": "invalid parameters or no such order",
        "100004": "order cannot be cancelled",
        "200003": "invalid symbol",
        "300003": "balance not enough",
        "300009": "no position to close",
        "300011": "price above the allowed band",
        "300012": "price below the allowed band",
        "300016": "leverage too high",
        "300018": "clientOid already used",
        "330005": "margin mode does not match",
        "330008": "cross margin limit",
        "400001": "authentication headers missing",
        "400002": "timestamp too far from the server's",
        "400003": "API key not found",
        "400004": "wrong passphrase",
        "400005": "wrong signature",
        "400100": "parameter error",
        "404000": "no such endpoint",
        "415000": "unsupported media type",
        "429000": "too many requests",
        "500000": "internal error",
    ]
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
