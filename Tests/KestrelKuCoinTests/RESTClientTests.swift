import Foundation
import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Synchronization
import Testing

/// The REST client against the fake KuCoin on loopback: the envelope, error codes, retries, timeouts and rate limits.
@Suite struct RESTClientTests {
    /// The fake's clock: twenty minutes into an hour, so that hour's candle is still forming.
    static let now: Int64 = 1_764_001_200_000

    /// A fake of three symbols whose clock stands at `now`, or runs with the wall clock.
    static func fake(quota: Int = 2_000, window: Int64 = 30_000, fixedClock: Bool = true) -> FakeKuCoin {
        let fixed: @Sendable () -> Int64 = { now }
        return FakeKuCoin(market: .synthetic(symbols: 3, start: now - 600 * 3_600_000, hours: 601), quota: quota,
                          windowMilliseconds: window, clock: fixedClock ? fixed : nil)
    }

    /// Timeouts are long unless a test is about them: on a loaded machine a loopback answer can take seconds, and a
    /// retry after a spurious timeout would use up a fault meant for the first attempt.
    static func client(_ baseURL: String, timeout: Duration = .seconds(60), attempts: Int = 4,
                       limiter: KuCoinRateLimiter = KuCoinRateLimiter()) throws -> KuCoinRESTClient {
        var configuration = KuCoinRESTClient.Configuration(baseURL: baseURL)
        configuration.requestTimeout = timeout
        configuration.connectTimeout = min(timeout, .seconds(30))
        configuration.readAttempts = attempts
        configuration.firstBackoff = .milliseconds(20)
        return try KuCoinRESTClient(configuration: configuration, limiter: limiter)
    }

    /// Runs `body` with a client of the fake at `baseURL`, shut down afterwards whatever happens.
    static func withClient<T: Sendable>(_ baseURL: String, timeout: Duration = .seconds(60), attempts: Int = 4,
                                        limiter: KuCoinRateLimiter = KuCoinRateLimiter(),
                                        _ body: (KuCoinRESTClient) async throws -> T) async throws -> T {
        try await client(baseURL, timeout: timeout, attempts: attempts, limiter: limiter).using(body)
    }

    /// The KuCoin error `body` throws; nil when it throws none.
    static func kucoinError(_ body: () async throws -> some Any) async -> KuCoinError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? KuCoinError
        }
    }

    @Test func theServerClockIsTakenAtTheMiddleOfTheRoundTrip() async throws {
        // This machine's clock is 5 s behind the server's and moves 40 ms during the request.
        let local = Mutex(Self.now - 5_000)
        let clock: @Sendable () -> Int64 = { local.withLock { value in
            defer { value += 40 }
            return value
        } }
        try await Self.fake().serve { url in
            try await Self.withClient(url) { client in
                let serverClock = KuCoinServerClock(client: client, localMilliseconds: clock)
                #expect(serverClock.offsetMilliseconds == 0)
                let offset = try await serverClock.synchronise()
                #expect(offset == 5_000 - 20)
                #expect(serverClock.roundTripMilliseconds == 40)
                // Read later by the machine's clock (now 80 ms on), with the offset.
                #expect(serverClock.nowMilliseconds == Self.now + 80 - 20)
            }
        }
    }

    @Test func readsTheServerTimeFromTheEnvelope() async throws {
        let (time, tally) = try await Self.fake().serve { url in
            try await Self.withClient(url) { client in
                (try await KuCoinMarketData(client: client).serverTime(), client.requests)
            }
        }
        #expect(time == Timestamp(seconds: Self.now / 1_000))
        #expect(tally.byEndpoint == ["GET /api/v1/timestamp": 1])
    }

    @Test func aBusinessErrorWithHTTP200IsAnErrorAndIsNotRetried() async throws {
        let fake = Self.fake()
        fake.inject(.error(status: 200, code: "100001", message: "Param error"), on: "/api/v1/timestamp")
        let error = try await fake.serve { url in
            try await Self.withClient(url) { client in
                await Self.kucoinError { try await KuCoinMarketData(client: client).serverTime() }
            }
        }
        #expect(error == .api(endpoint: "GET /api/v1/timestamp", status: 200, code: "100001", message: "Param error"))
        #expect(error?.description.contains("invalid parameters") == true)
        #expect(fake.received.count == 1)
    }

    @Test func aReadIsRetriedAfter5xxAndSucceeds() async throws {
        let fake = Self.fake()
        fake.inject(.unavailable, .error(status: 502, code: "500000", message: "bad gateway"),
                    on: "/api/v1/contracts/active")
        let (count, tally) = try await fake.serve { url in
            try await Self.withClient(url) { client in
                (try await KuCoinMarketData(client: client).listing().instruments.count, client.requests)
            }
        }
        #expect(count == 3)
        #expect(tally.retries == 2)
        #expect(fake.received.filter { $0.path == "/api/v1/contracts/active" }.count == 3)
    }

    @Test func aReadGivesUpAfterItsAttempts() async throws {
        let fake = Self.fake()
        fake.inject(.unavailable, .unavailable, .unavailable, on: "/api/v1/timestamp")
        let error = try await fake.serve { url in
            try await Self.withClient(url, attempts: 2) { client in
                await Self.kucoinError { try await KuCoinMarketData(client: client).serverTime() }
            }
        }
        #expect(error == .unavailable(endpoint: "GET /api/v1/timestamp", status: 503))
        #expect(fake.received.count == 2)
    }

    @Test func aStalledAnswerTimesOutAndTheRetryAnswers() async throws {
        let fake = Self.fake()
        fake.inject(.stall(milliseconds: 30_000), on: "/api/v1/timestamp")
        let (time, elapsed) = try await fake.serve { url in
            try await Self.withClient(url, timeout: .milliseconds(1_500)) { client in
                let clock = ContinuousClock()
                let started = clock.now
                let time = try await KuCoinMarketData(client: client).serverTime()
                return (time, clock.now - started)
            }
        }
        #expect(time.seconds == Self.now / 1_000)
        // Answered by a retry, long before the stalled answer would have come.
        #expect(elapsed < .seconds(25))
        #expect(fake.received.count >= 2)
    }

    @Test func aStalledAnswerIsATimeoutWhenNoRetryIsLeft() async throws {
        let fake = Self.fake()
        fake.inject(.stall(milliseconds: 30_000), on: "/api/v1/timestamp")
        let error = try await fake.serve { url in
            try await Self.withClient(url, timeout: .seconds(1), attempts: 1) { client in
                await Self.kucoinError { try await KuCoinMarketData(client: client).serverTime() }
            }
        }
        #expect(error == .timedOut(endpoint: "GET /api/v1/timestamp"))
    }

    @Test func a429ClosesThePoolUntilTheResetAndTheReadThenSucceeds() async throws {
        let fake = Self.fake()
        fake.inject(.rateLimited(resetMilliseconds: 400), on: "/api/v1/timestamp")
        let clock = ContinuousClock()
        let started = clock.now
        let tally = try await fake.serve { url in
            try await Self.withClient(url) { client in
                _ = try await KuCoinMarketData(client: client).serverTime()
                return client.requests
            }
        }
        #expect(clock.now - started >= .milliseconds(380))
        #expect(tally.rateLimited == 1)
        #expect(fake.received.count == 2)
    }

    @Test func theRateHeadersOfEachAnswerCorrectTheBudget() async throws {
        // A window of an hour: the fake's windows are of real time, and a loaded machine may take longer than 30 s.
        let fake = Self.fake(quota: 500, window: 3_600_000)
        let budget = try await fake.serve { url in
            let limiter = KuCoinRateLimiter()
            return try await Self.withClient(url, limiter: limiter) { client in
                _ = try await KuCoinMarketData(client: client).serverTime()
                _ = try await KuCoinMarketData(client: client).listing()
                return await limiter.budget(.public)
            }
        }
        // The fake's pool: 500, of which the time (2) and the contracts (3) were spent.
        #expect(budget.limit == 500)
        #expect(budget.remaining == 495)
    }

    @Test func aQuotaAboveTheOneAssumedIsUsedAtOnce() async throws {
        // A higher tier: 100000 per 30 s where the client assumed 2000. 900 requests of weight 2 would wait for a
        // new window under the assumed quota (1500 above its reserve); under the real one they need not wait at all.
        // A window of an hour: a loaded machine takes longer than 30 s over 900 requests, and a new window would
        // change the count.
        let fake = Self.fake(quota: 100_000, window: 3_600_000)
        let (waits, budget) = try await fake.serve { url in
            let limiter = KuCoinRateLimiter()
            return try await Self.withClient(url, limiter: limiter) { client in
                for _ in 0..<900 { _ = try await KuCoinMarketData(client: client).serverTime() }
                return (await limiter.waits, await limiter.budget(.public))
            }
        }
        #expect(waits == 0)
        #expect(budget.limit == 100_000)
        #expect(budget.remaining == 100_000 - 900 * 2)
    }

    @Test func theClientWaitsForTheWindowInsteadOfOverrunningTheQuota() async throws {
        // A pool of 12 per 600 ms: eight requests of weight 3 need a second window, and no 429 may come back.
        let fake = Self.fake(quota: 12, window: 600, fixedClock: false)
        let clock = ContinuousClock()
        let started = clock.now
        let (tally, waits) = try await fake.serve { url in
            let limiter = KuCoinRateLimiter(quota: 12, window: .milliseconds(600))
            return try await Self.withClient(url, limiter: limiter) { client in
                let market = KuCoinMarketData(client: client)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 { group.addTask { _ = try await market.listing() } }
                    try await group.waitForAll()
                }
                return (client.requests, await limiter.waits)
            }
        }
        #expect(tally.rateLimited == 0)
        #expect(tally.total == 8)
        #expect(waits > 0)
        #expect(clock.now - started >= .milliseconds(500))
    }

    @Test func anAnswerThatIsNotJSONIsMalformedAndNamesTheEndpoint() async throws {
        let fake = Self.fake()
        fake.inject(.body("<html>gateway</html>"), on: "/api/v1/timestamp")
        let error = try await fake.serve { url in
            try await Self.withClient(url) { client in
                await Self.kucoinError { try await KuCoinMarketData(client: client).serverTime() }
            }
        }
        guard case .malformed(let endpoint, let status, let reason)? = error else {
            Issue.record("expected a malformed answer, got \(String(describing: error))")
            return
        }
        #expect(endpoint == "GET /api/v1/timestamp")
        #expect(status == 200)
        #expect(reason.contains("not JSON"))
    }

    /// Addresses are only read here, never reached.
    @Test func aBaseURLWithAPathOrAnotherSchemeIsRefusedNamingTheSetting() throws {
        for url in ["ftp://127.0.0.1", "127.0.0.1", "http://127.0.0.1/api/v1", "https://"] {
            #expect(throws: KuCoinConfigurationError.self) { try KuCoinRESTClient.validated(url) }
        }
        #expect(try KuCoinRESTClient.validated("https://127.0.0.1/") == "https://127.0.0.1")
        #expect(try KuCoinRESTClient.validated("http://127.0.0.1:8080") == "http://127.0.0.1:8080")
    }
}
