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
