import Foundation

/// A REST endpoint of KuCoin Futures, with what the rate limiter needs to know of it: the resource pool its requests
/// draw on and their weight in that pool (KuCoin's OpenAPI specs, `spec/apis.csv`; docs/kucoin.md).
public struct KuCoinEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A pool of request weight with its own quota per window: public endpoints share one per IP address, private
    /// futures endpoints one per API key.
    public enum Pool: String, Sendable, Hashable, CaseIterable {
        case `public`
        case futures
    }

    public var method: String
    public var path: String
    public var pool: Pool
    public var weight: Int
    /// Whether the request only reads: only those are retried on their own after a failure, since sending an order
    /// again blindly could place it twice.
    public var isRead: Bool

    public init(method: String, path: String, pool: Pool, weight: Int, isRead: Bool? = nil) {
        self.method = method
        self.path = path
        self.pool = pool
        self.weight = weight
        self.isRead = isRead ?? (method == "GET")
    }

    public var description: String { "\(method) \(path)" }

    /// The path with its `{name}` parts replaced by `values` (a part without a value is left as it is, and the
    /// venue refuses the request).
    public func path(with values: [String: String]) -> String {
        values.reduce(path) { path, value in path.replacingOccurrences(of: "{\(value.key)}", with: value.value) }
    }
}

extension KuCoinEndpoint {
    /// The server's time in milliseconds.
    public static let serverTime = KuCoinEndpoint(method: "GET", path: "/api/v1/timestamp", pool: .public, weight: 2)
    /// Every contract open for trading, with its 24 h turnover and prices.
    public static let activeContracts = KuCoinEndpoint(method: "GET", path: "/api/v1/contracts/active",
                                                       pool: .public, weight: 3)
    /// Candles of one contract: at most 200 rows per request.
    public static let klines = KuCoinEndpoint(method: "GET", path: "/api/v1/kline/query", pool: .public, weight: 3)
    /// A token and the addresses for the public WebSocket.
    public static let publicBullet = KuCoinEndpoint(method: "POST", path: "/api/v1/bullet-public", pool: .public,
                                                    weight: 10, isRead: true)

    // Private: signed with the account's key, in the futures pool of that key.

    /// The futures account in one currency (`currency=USDT`; KuCoin answers for XBT when none is named).
    public static let accountOverview = KuCoinEndpoint(method: "GET", path: "/api/v1/account-overview",
                                                       pool: .futures, weight: 5)
}
