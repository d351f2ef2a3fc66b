import Foundation
import KestrelCore
import KestrelKuCoinFake
import Testing

/// `kestrel run --exchange kucoin --live` against the fake KuCoin's private half on loopback, run as a user runs it:
/// the key checked first, the account's orders and positions reconciled, the private stream connected, a SIGKILL in
/// the middle, and a restart that resumes the same run.
@Suite(.serialized) struct LiveRunTests {
    static let key = FakeAccount.testKey
    static let environment = ["KUCOIN_API_KEY": key.key, "KUCOIN_API_SECRET": key.secret,
                              "KUCOIN_API_PASSPHRASE": key.passphrase]

    /// A fake whose clock is the wall clock (signatures are checked against it), with six symbols of history.
    static func fake() -> FakeKuCoin {
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        return FakeKuCoin(market: .synthetic(symbols: 6, start: now - 900 * 3_600_000, hours: 901))
    }

    /// A `kestrel` process started in the background, its output going to files (a pipe nobody reads would fill).
    final class Launched: @unchecked Sendable {
        let process = Process()
        let stderrPath: String

        init(_ arguments: [String], environment: [String: String]) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-live-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            stderrPath = directory.appendingPathComponent("stderr").path
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = Kestrel.executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["HTTP_ADDRESS": "off"]) { _, off in off }
                .merging(environment) { _, added in added }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            try process.run()
        }

        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func waitFor(_ what: String, seconds: Int = 120, _ condition: () -> Bool) async throws {
        for _ in 0..<(seconds * 20) where !condition() { try await Task.sleep(for: .milliseconds(50)) }
        if !condition() { Issue.record("waited \(seconds) s for \(what)") }
    }

    /// Whether the fake account holds a position of Kestrel's (not the foreign ETH one) with a stop of Kestrel's
    /// resting for all of it.
    static func holdsProtectedPosition(_ fake: FakeKuCoin) -> Bool {
        let trading = fake.trading
        return trading.positions.values.contains { position in
            position.symbol != "ETHUSDTM" && position.quantity != 0 && trading.orders.values.contains { order in
                order.symbol == position.symbol && order.isUntriggeredStop && order.clientOid.hasPrefix("kst-")
                    && order.size >= abs(position.quantity) && order.reduceOnly
            }
        }
    }

    @Test func liveWithoutAKeyStopsAtOnceNamingWhatIsMissing() async throws {
        let output = try await Kestrel.runOnThread(["run", "--exchange", "kucoin", "--live", "--api-url",
                                                    "http://127.0.0.1:9", "--env-file", "/nonexistent/.env"],
                                                   environment: ["KUCOIN_API_KEY": "only-the-key"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("KUCOIN_API_SECRET, KUCOIN_API_PASSPHRASE not set"), "\(output.stderr)")
        #expect(!output.stderr.contains("only-the-key"))
        let paper = try await Kestrel.runOnThread(["run", "--live", "--duration", "1s"])
        #expect(paper.status != 0)
        #expect(paper.stderr.contains("--exchange kucoin"))
    }

    @Test func aKeyKuCoinRefusesStopsTheRunWithItsCodeAndNoSecret() async throws {
        let fake = Self.fake()
        var environment = Self.environment
        environment["KUCOIN_API_PASSPHRASE"] = "not-the-passphrase"
        let output = try await fake.serve { url in
            try await Kestrel.runOnThread(["run", "--exchange", "kucoin", "--live", "--api-url", url,
                                           "--env-file", "/nonexistent/.env", "--duration", "5s"],
                                          environment: environment)
        }
        #expect(output.status != 0)
        #expect(output.stderr.contains("400004"), "\(output.stderr)")
        #expect(!output.stderr.contains("not-the-passphrase") && !output.stderr.contains(Self.key.secret))
        // Refused at the first private request: the market was never loaded.
        #expect(!fake.received.contains { $0.path == "/api/v1/kline/query" })
    }

    @Test func anEnvFileHoldingTheSecretThatOthersCanReadIsWarnedAbout() async throws {
        let fake = Self.fake()
        // The passphrase is wrong, so the run stops once the key is checked: the warning comes before.
        let envFile = try Kestrel.temporaryFile(".env", "KUCOIN_API_KEY=\(Self.key.key)\n"
            + "KUCOIN_API_SECRET=\(Self.key.secret)\nKUCOIN_API_PASSPHRASE=wrong\n")
        let arguments = ["run", "--exchange", "kucoin", "--live", "--env-file", envFile, "--duration", "5s"]
        let (readable, privateToOwner) = try await fake.serve { url in
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: envFile)
            let readable = try await Kestrel.runOnThread(arguments + ["--api-url", url])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: envFile)
            return (readable, try await Kestrel.runOnThread(arguments + ["--api-url", url]))
        }
        #expect(readable.stderr.contains("readable by others (mode 644): run chmod 600"), "\(readable.stderr)")
        #expect(!privateToOwner.stderr.contains("readable by others"))
        #expect(privateToOwner.stderr.contains("400004"))
        // A readable file without the secret is no concern of this check.
        let settingsOnly = try Kestrel.temporaryFile(".env", "CHECK_INTERVAL=30\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: settingsOnly)
        let plain = try await fake.serve { url in
            try await Kestrel.runOnThread(["run", "--exchange", "kucoin", "--live", "--env-file", settingsOnly,
                                           "--api-url", url, "--duration", "5s"],
                                          environment: Self.environment.merging(["KUCOIN_API_PASSPHRASE": "wrong"]) {
                                              _, new in new })
        }
        #expect(!plain.stderr.contains("readable by others"))
    }

    @Test func aKeyRevokedMidRunStopsTradingOnceInsteadOfLooping() async throws {
        let fake = Self.fake()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-live-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let journal = (directory as NSString).appendingPathComponent("live.sqlite")
        let envFile = (directory as NSString).appendingPathComponent(".env")
        try "CHECK_INTERVAL=5\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        let (run, bulletsAfter, seconds) = try await fake.serve { url in
            let run = try Launched(["run", "--exchange", "kucoin", "--live", "--api-url", url, "--db", journal,
                                    "--env-file", envFile, "--log-level", "info", "--duration", "120s"],
                                   environment: Self.environment)
            try await Self.waitFor("the run to stream") {
                !run.process.isRunning || fake.subscribedTopics.contains("/contractMarket/tradeOrders") && run.stderr.contains("reconciled:")
            }
            // The key is deleted on KuCoin's side, and the connections drop: the next token is refused.
            let bulletsBefore = fake.received.filter { $0.path == "/api/v1/bullet-private" }.count
            fake.updateAccount { $0.key.key = "6700000000000000000000ff" }
            let revoked = ContinuousClock.now
            fake.dropConnections()
            try await Self.waitFor("the run to stop", seconds: 60) { !run.process.isRunning }
            let seconds = (ContinuousClock.now - revoked).components.seconds
            if run.process.isRunning { run.kill() }
            let bulletsAfter = fake.received.filter { $0.path == "/api/v1/bullet-private" }.count - bulletsBefore
            return (run, bulletsAfter, seconds)
        }
        let stderr = run.stderr
        #expect(run.process.terminationStatus != 0, "\(stderr.suffix(3_000))")
        #expect(stderr.contains("refused the API key") && stderr.contains("400003"), "\(stderr.suffix(3_000))")
        #expect(stderr.contains("Error: trading stopped: kucoin refused the API key (POST /api/v1/bullet-private"), "\(stderr.suffix(3_000))")
        // Asked once, not in a loop, and stopped well before --duration.
        #expect(bulletsAfter <= 2, "\(bulletsAfter) private tokens asked for after the key was revoked")
        #expect(seconds < 30)
        #expect(!stderr.contains(Self.key.secret) && !stderr.contains(Self.key.passphrase))
    }

    @Test func aLiveSessionReconcilesTheAccountSurvivesASIGKILLAndResumes() async throws {
        let fake = Self.fake()
        let now = fake.nowMilliseconds
        let ethPrice = fake.market.contracts.first { $0.symbol == "ETHUSDTM" }?.lastTradePrice ?? 0
        let xbtPrice = fake.market.contracts.first { $0.symbol == "XBTUSDTM" }?.lastTradePrice ?? 0
        fake.updateTrading { trading in
            // Someone else's short, opened by hand: left alone and reported.
            trading.positions["ETHUSDTM"] = FakePosition(symbol: "ETHUSDTM", quantity: -3, entryPrice: ethPrice,
                                                         leverage: 2, openedAt: now - 3_600_000)
            // A stop of Kestrel's from an earlier run this journal does not know: an orphan, cancelled.
            trading.orders["kst-0000000001-7-s-XBTUSDTM"] = FakeOrder(
                orderId: "900000000000000001", clientOid: "kst-0000000001-7-s-XBTUSDTM", symbol: "XBTUSDTM",
                side: "sell", type: "market", size: 2, stop: "down", stopPrice: xbtPrice * 0.9, stopPriceType: "MP",
                reduceOnly: true, leverage: 5, createdAt: now - 3_600_000)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-live-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let journal = (directory as NSString).appendingPathComponent("live.sqlite")
        let summaryPath = (directory as NSString).appendingPathComponent("summary.json")
        let envFile = (directory as NSString).appendingPathComponent(".env")
        try "CHECK_INTERVAL=5\n".write(toFile: envFile, atomically: true, encoding: .utf8)

        let (killed, resumed) = try await fake.serve { url in
            let arguments = ["run", "--exchange", "kucoin", "--live", "--api-url", url, "--db", journal,
                             "--env-file", envFile, "--log-level", "info"]
            let first = try Launched(arguments + ["--duration", "120s"], environment: Self.environment)
            // Up and reconciled: the orphan cancelled, the private stream subscribed.
            try await Self.waitFor("the first run to reconcile and stream") {
                fake.trading.orders["kst-0000000001-7-s-XBTUSDTM"]?.cancelled == true
                    && fake.subscribedTopics.contains("/contractMarket/tradeOrders")
            }
            // Prices, until the run holds a position of its own with its stop resting on KuCoin; then it is killed.
            // On the fake's thread: on a pool kept busy by other tests, this loop could fall behind the run.
            try await fake.onItsThread {
                for _ in 0..<600 where !Self.holdsProtectedPosition(fake) {
                    for contract in fake.market.contracts {
                        let price = fake.trading.prices[contract.symbol] ?? contract.lastTradePrice
                        fake.pushTicker(contract.symbol, bid: price * 0.9999, ask: price * 1.0001)
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(Self.holdsProtectedPosition(fake), "\(first.stderr.suffix(3_000))")
            first.kill()
            let second = try await Kestrel.runOnThread(arguments + ["--duration", "10s", "--summary-json", summaryPath],
                                                       environment: Self.environment)
            return (first.stderr, second)
        }
        #expect(killed.contains("LIVE TRADING"), "\(killed.suffix(2_000))")
        #expect(killed.contains("equity 10000 USDT") || killed.contains("equity 10,000 USDT"), "\(killed.suffix(2_000))")
        #expect(killed.contains("reconciled:"))
        #expect(killed.contains("ETHUSDTM"), "the foreign position is reported")
        #expect(resumed.status == 0, "\(resumed.stderr.suffix(3_000))")
        #expect(resumed.stderr.contains("Resuming the run in \(journal)"))
        // The position the killed run opened is still protected by its stop on KuCoin, and the resumed run kept it.
        #expect(Self.holdsProtectedPosition(fake))
        #expect(!resumed.stderr.contains(" 0 open position(s)"), "\(resumed.stderr.suffix(3_000))")
        // Kestrel did not trade the symbol where someone else holds a position.
        #expect(!fake.trading.orders.values.contains { $0.symbol == "ETHUSDTM" && $0.clientOid.hasPrefix("kst-") })
        // Someone else's position is untouched.
        #expect(fake.trading.positions["ETHUSDTM"]?.quantity == -3)
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
        #expect(summary["invariant_violations"] as? Int == 0, "\(resumed.stderr.suffix(3_000))")
        for text in [killed, resumed.stderr, resumed.stdout] {
            #expect(!text.contains(Self.key.secret) && !text.contains(Self.key.passphrase))
        }
        // Every order and read went to the account's endpoints signed: nothing was refused for its signature.
        #expect(!killed.contains("400005") && !resumed.stderr.contains("400005"))
    }
}
