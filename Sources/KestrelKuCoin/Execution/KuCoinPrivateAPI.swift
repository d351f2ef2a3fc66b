import Foundation
public import Logging

/// KuCoin Futures' private endpoints (the account's balance, positions and orders), each request signed with the
/// account's key at the server's time.
///
/// A request refused for its timestamp (400002) was not acted on: the server's clock is measured again and the
/// request sent once more. Any other authentication error (key, passphrase, signature, permissions) is thrown as it
/// is: retrying cannot help, and the caller stops trading (`KuCoinError.isAuthentication`).
public final class KuCoinPrivateAPI: Sendable {
    public let client: KuCoinRESTClient
    public let clock: KuCoinServerClock
    private let signer: KuCoinRequestSigner
    private let logger: Logger

    public init(client: KuCoinRESTClient, credentials: KuCoinCredentials, clock: KuCoinServerClock,
                logger: Logger = Logger(label: "kestrel.kucoin.private")) {
        self.client = client
        self.clock = clock
        self.logger = logger
        signer = KuCoinRequestSigner(signer: KuCoinSigner(credentials: credentials),
                                     serverMilliseconds: { clock.nowMilliseconds })
    }

    /// The key's name, for logs: never its secret.
    public var credentials: KuCoinCredentials { signer.signer.credentials }

    /// Sends a signed request; see `KuCoinRESTClient.send`.
    public func send<T: Decodable & Sendable>(_ endpoint: KuCoinEndpoint, query: [(String, String)] = [],
                                              pathValues: [String: String] = [:], body: String? = nil,
                                              priority: RequestPriority, as type: T.Type = T.self) async throws -> T {
        do {
            return try await client.send(endpoint, query: query, pathValues: pathValues, body: body, signedBy: signer,
                                         priority: priority, as: type)
        } catch let error as KuCoinError where error.code == KuCoinErrorCode.timestampOutOfRange {
            let offset = try await clock.synchronise(priority: priority)
            logger.warning("request refused for its timestamp: the server's clock measured again, sent once more",
                           metadata: ["endpoint": "\(endpoint)", "offset_ms": "\(offset)"])
            return try await client.send(endpoint, query: query, pathValues: pathValues, body: body, signedBy: signer,
                                         priority: priority, as: type)
        }
    }

    /// The USDT account: its wallet, equity and what is free for new orders.
    public func accountOverview(priority: RequestPriority = .reconciliation) async throws -> KuCoinAccountOverview {
        let wire = try await send(.accountOverview, query: [("currency", "USDT")], priority: priority,
                                  as: AccountOverviewWire.self)
        return try wire.overview(endpoint: KuCoinEndpoint.accountOverview.description)
    }
}

// MARK: Orders, positions and fills (wire types: the venue maps them)

extension KuCoinPrivateAPI {
    /// Places an order; KuCoin's id for it. Sent once: a failure that may have acted is looked up by the caller.
    func place(_ body: OrderBody, priority: RequestPriority) async throws -> String {
        try await send(.placeOrder, body: try Self.json(body), priority: priority, as: PlacedOrderWire.self).orderId
    }

    /// The order with this client id (stop orders included), or nil when KuCoin has none: it answers null, or
    /// 100001 ("no such order") as it does for an id it does not know.
    func order(clientOid: String, priority: RequestPriority) async throws -> OrderWire? {
        do {
            return try await send(.orderByClientOid, query: [("clientOid", clientOid)], priority: priority,
                                  as: OrderWire?.self)
        } catch let error as KuCoinError where error.code == KuCoinErrorCode.invalidParameters {
            return nil
        }
    }

    /// The order with KuCoin's id `id`, or nil when KuCoin has none.
    func order(id: String, priority: RequestPriority) async throws -> OrderWire? {
        do {
            return try await send(.orderByID, pathValues: ["orderId": id], priority: priority, as: OrderWire?.self)
        } catch let error as KuCoinError where error.code == KuCoinErrorCode.invalidParameters {
            return nil
        }
    }

    /// Asks KuCoin to cancel the order with this client id. One KuCoin says cannot be cancelled (done already, or
    /// unknown: 100004 or 100001) is gone, as a cancel wants. KuCoin acts on a cancel later: the stream or a lookup
    /// confirms it.
    func cancel(clientOid: String, symbol: String, priority: RequestPriority) async throws {
        do {
            _ = try await send(.cancelByClientOid, query: [("symbol", symbol)], pathValues: ["clientOid": clientOid],
                               priority: priority, as: CancelledWire.self)
        } catch let error as KuCoinError
            where error.code == KuCoinErrorCode.notCancellable || error.code == KuCoinErrorCode.invalidParameters {
            return
        }
    }

    /// Every order resting or being filled (untriggered stops are not among them: `stopOrders`).
    func activeOrders(priority: RequestPriority) async throws -> [Result<OrderWire, DecodingFailure>] {
        try await pages(.orders, query: [("status", "active")], priority: priority)
    }

    /// Every untriggered stop order.
    func stopOrders(priority: RequestPriority) async throws -> [Result<OrderWire, DecodingFailure>] {
        try await pages(.stopOrders, query: [], priority: priority)
    }

    /// Every USDT position KuCoin lists (flat ones included).
    func positions(priority: RequestPriority) async throws -> [Result<PositionWire, DecodingFailure>] {
        try await send(.positions, query: [("currency", "USDT")], priority: priority, as: [Lenient<PositionWire>].self)
            .map(\.result)
    }

    /// The account's fills of the last 24 hours, as KuCoin orders them (newest first).
    func recentFills(priority: RequestPriority) async throws -> [Result<FillWire, DecodingFailure>] {
        try await send(.recentFills, priority: priority, as: [Lenient<FillWire>].self).map(\.result)
    }

    /// `symbol`'s margin mode, as KuCoin names it.
    func marginMode(of symbol: String, priority: RequestPriority) async throws -> String {
        try await send(.marginMode, query: [("symbol", symbol)], priority: priority, as: MarginModeWire.self)
            .marginMode
    }

    /// Sets `symbol`'s margin mode (KuCoin refuses while it has a position or orders); the mode KuCoin then reports.
    func changeMarginMode(of symbol: String, to mode: String, priority: RequestPriority) async throws -> String {
        try await send(.changeMarginMode, body: try Self.json(MarginModeWire(symbol: symbol, marginMode: mode)),
                       priority: priority, as: MarginModeWire.self).marginMode
    }

    /// `value` as a request's JSON body (sent, and signed, as this text).
    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// Every page of a paged list, 200 items a page, at most 20 pages (4,000 orders: far more than a bot rests).
    private func pages<Item: Decodable & Sendable>(_ endpoint: KuCoinEndpoint, query: [(String, String)],
                                                   priority: RequestPriority) async throws
        -> [Result<Item, DecodingFailure>] {
        var items = [Result<Item, DecodingFailure>]()
        for page in 1...20 {
            let answer = try await send(endpoint, query: query + [("currentPage", "\(page)"), ("pageSize", "200")],
                                        priority: priority, as: PageWire<Item>.self)
            items += answer.items.map(\.result)
            guard let total = answer.totalPage, page < total, !answer.items.isEmpty else { break }
        }
        return items
    }
}

/// The futures account in one currency, as KuCoin reports it.
public struct KuCoinAccountOverview: Sendable, Equatable {
    /// Margin balance plus unrealised PnL.
    public var equity: Double
    /// The wallet: deposits and realised PnL, fees and funding, without unrealised PnL.
    public var walletBalance: Double
    public var unrealisedPnL: Double
    /// What new orders may use.
    public var available: Double
    public var currency: String
}
