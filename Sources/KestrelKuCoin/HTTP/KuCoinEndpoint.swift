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
    /// Whether sending the request twice does no harm (a read, a cancel, a token): only those are retried on their
    /// own after a failure, since sending an order again blindly could place it twice.
    public var isIdempotent: Bool

    public init(method: String, path: String, pool: Pool, weight: Int, isIdempotent: Bool? = nil) {
        self.method = method
        self.path = path
        self.pool = pool
        self.weight = weight
        self.isIdempotent = isIdempotent ?? (method == "GET")
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
                                                    weight: 10, isIdempotent: true)

    // Private: signed with the account's key, in the futures pool of that key.

    /// The futures account in one currency (`currency=USDT`; KuCoin answers for XBT when none is named).
    public static let accountOverview = KuCoinEndpoint(method: "GET", path: "/api/v1/account-overview",
                                                       pool: .futures, weight: 5)
    /// Places an order (a stop order too): never retried on its own, an unknown outcome is looked up by clientOid.
    public static let placeOrder = KuCoinEndpoint(method: "POST", path: "/api/v1/orders", pool: .futures, weight: 2)
    /// One order (a stop order too) by the client's id; `data` is null when there is none.
    public static let orderByClientOid = KuCoinEndpoint(method: "GET", path: "/api/v1/orders/byClientOid",
                                                        pool: .futures, weight: 5)
    /// One order (a stop order too) by KuCoin's id: what a fill names.
    public static let orderByID = KuCoinEndpoint(method: "GET", path: "/api/v1/orders/{orderId}", pool: .futures,
                                                 weight: 5)
    /// Cancels an order (a stop order too) by the client's id; `symbol` is required. Safe to send again.
    public static let cancelByClientOid = KuCoinEndpoint(method: "DELETE", path: "/api/v1/orders/client-order/{clientOid}",
                                                         pool: .futures, weight: 1, isIdempotent: true)
    /// The orders resting or being filled (`status=active`), paged; untriggered stops are listed apart.
    public static let orders = KuCoinEndpoint(method: "GET", path: "/api/v1/orders", pool: .futures, weight: 2)
    /// The untriggered stop orders, paged.
    public static let stopOrders = KuCoinEndpoint(method: "GET", path: "/api/v1/stopOrders", pool: .futures, weight: 6)
    /// Every position of the settlement currency (closed ones may be listed too).
    public static let positions = KuCoinEndpoint(method: "GET", path: "/api/v1/positions", pool: .futures, weight: 2)
    /// The account's fills of the last 24 hours, at most 1000.
    public static let recentFills = KuCoinEndpoint(method: "GET", path: "/api/v1/recentFills", pool: .futures,
                                                   weight: 3)
    /// A symbol's margin mode.
    public static let marginMode = KuCoinEndpoint(method: "GET", path: "/api/v2/position/getMarginMode",
                                                  pool: .futures, weight: 2)
    /// Changes a symbol's margin mode: only while it has no position and no orders. Safe to send again.
    public static let changeMarginMode = KuCoinEndpoint(method: "POST", path: "/api/v2/position/changeMarginMode",
                                                        pool: .futures, weight: 2, isIdempotent: true)
    /// A token and the addresses for the private WebSocket.
    public static let privateBullet = KuCoinEndpoint(method: "POST", path: "/api/v1/bullet-private", pool: .futures,
                                                     weight: 10, isIdempotent: true)

    /// Every endpoint Kestrel sends to, to find one by its description ("POST /api/v1/orders").
    public static let all: [KuCoinEndpoint] = [
        serverTime, activeContracts, klines, publicBullet, accountOverview, placeOrder, orderByClientOid, orderByID,
        cancelByClientOid, orders, stopOrders, positions, recentFills, marginMode, changeMarginMode, privateBullet,
    ]
}
