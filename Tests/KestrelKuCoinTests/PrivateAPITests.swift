import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Testing

/// Signed requests against the fake's private endpoints, which check the key, passphrase, timestamp and signature as
/// KuCoin does.
@Suite struct PrivateAPITests {
    static let key = FakeAccount.testKey
    static let credentials = KuCoinCredentials(key: key.key, secret: key.secret, passphrase: key.passphrase)

    /// Runs `body` with the private API of the fake at `now`; this machine's clock is `skew` ms off the fake's.
    static func withAPI<T: Sendable>(_ fake: FakeKuCoin, credentials: KuCoinCredentials = credentials,
                                     skew: Int64 = 0, _ body: (KuCoinPrivateAPI) async throws -> T)
        async throws -> T {
        try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let clock = KuCoinServerClock(client: client, localMilliseconds: { RESTClientTests.now + skew })
                return try await body(KuCoinPrivateAPI(client: client, credentials: credentials, clock: clock))
            }
        }
    }

    @Test func aSignedRequestReadsTheAccount() async throws {
        let fake = RESTClientTests.fake()
        fake.updateAccount { $0.walletBalance = 1_234.5; $0.unrealisedPnL = -34.5; $0.positionMargin = 200 }
        let overview = try await Self.withAPI(fake) { try await $0.accountOverview() }
        #expect(overview == KuCoinAccountOverview(equity: 1_200, walletBalance: 1_234.5, unrealisedPnL: -34.5,
                                                  available: 1_034.5, currency: "USDT"))
        #expect(fake.received.map(\.path) == ["/api/v1/account-overview"])
    }

    @Test func aRefusedTimestampMeasuresTheClockAgainAndSendsOnceMore() async throws {
        let fake = RESTClientTests.fake()
        // Ten seconds ahead of KuCoin, and never measured: the first request is refused (400002).
        let overview = try await Self.withAPI(fake, skew: 10_000) { try await $0.accountOverview() }
        #expect(overview.walletBalance == 10_000)
        #expect(fake.received.map(\.path) == ["/api/v1/account-overview", "/api/v1/timestamp",
                                              "/api/v1/account-overview"])
    }

    @Test(arguments: [
        (KuCoinCredentials(key: "another-key", secret: key.secret, passphrase: key.passphrase), "400003"),
        (KuCoinCredentials(key: key.key, secret: key.secret, passphrase: "wrong"), "400004"),
        (KuCoinCredentials(key: key.key, secret: "wrong-secret", passphrase: key.passphrase), "400004"),
    ])
    func aWrongKeyStopsAtOnceWithItsCode(credentials: KuCoinCredentials, code: String) async throws {
        let fake = RESTClientTests.fake()
        let error = await #expect(throws: KuCoinError.self) {
            try await Self.withAPI(fake, credentials: credentials) { try await $0.accountOverview() }
        }
        #expect(error?.code == code)
        #expect(error?.isAuthentication == true)
        // Sent once: an authentication error is never retried.
        #expect(fake.received.count == 1)
        #expect(!"\(error.map { "\($0)" } ?? "")".contains(Self.key.secret))
    }

    @Test func aPrivateEndpointWithoutAKeyIsNotSent() async throws {
        let fake = RESTClientTests.fake()
        let error = await #expect(throws: KuCoinError.self) {
            try await fake.serve { url in
                try await RESTClientTests.withClient(url) { client in
                    try await client.send(.accountOverview, query: [("currency", "USDT")],
                                          as: AccountOverviewWire.self)
                }
            }
        }
        #expect(error?.code == KuCoinErrorCode.headersMissing)
        #expect(fake.received.isEmpty)
    }
}
