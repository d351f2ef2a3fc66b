import Foundation
import KestrelCore
import KestrelKuCoinFake
import Testing

/// `kestrel scan` and `kestrel data download` against the fake KuCoin on loopback, run as a user runs them.
@Suite(.serialized) struct KuCoinCommandTests {
    /// Twenty minutes into an hour.
    static let now: Int64 = 1_764_001_200_000

    static func fake(symbols: Int = 8) -> FakeKuCoin {
        FakeKuCoin(market: .synthetic(symbols: symbols, start: now - 900 * 3_600_000, hours: 901), clock: { now })
    }

    @Test func scanRanksTheLiveMarketAsJSON() async throws {
        let fake = Self.fake()
        let output = try await fake.serve { url in
            try await Kestrel.runOnThread(["scan", "--exchange", "kucoin", "--api-url", url, "--top", "3", "--json"])
        }
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]]
        let opportunities = try #require(rows)
        #expect(opportunities.count <= 3)
        for row in opportunities { #expect((row["symbol"] as? String)?.hasSuffix("USDTM") == true) }
        // The listing, the server's time, and three candle requests for each of the eight symbols (more only if a
        // loaded machine made one time out and go again).
        #expect(fake.received.filter { $0.path == "/api/v1/kline/query" }.count >= 24)
    }

    @Test func scanPrintsATableByDefault() async throws {
        let output = try await Self.fake().serve { url in
            try await Kestrel.runOnThread(["scan", "--exchange", "kucoin", "--api-url", url])
        }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("Scanned 8 of 8 symbols"))
    }

    @Test func aKuCoinErrorStopsTheScanNamingTheEndpointAndCode() async throws {
        let fake = Self.fake()
        fake.inject(.error(status: 403, code: "400003", message: "KC-API-KEY not exists"), on: "/api/v1/contracts/active")
        let output = try await fake.serve { url in
            try await Kestrel.runOnThread(["scan", "--exchange", "kucoin", "--api-url", url])
        }
        #expect(output.status != 0)
        #expect(output.stderr.contains("GET /api/v1/contracts/active"))
        #expect(output.stderr.contains("400003"))
    }

    @Test func anUnusableAddressIsRefusedNamingTheOption() async throws {
        let output = try await Kestrel.runOnThread(["scan", "--exchange", "kucoin", "--api-url", "ftp://example.com"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--api-url"))
    }

    @Test func anAddressWhereNothingAnswersIsAConnectionError() async throws {
        // A port nothing listens on: bound and closed at once.
        let output = try await Kestrel.runOnThread(["scan", "--exchange", "kucoin", "--api-url", "http://127.0.0.1:9"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("GET /api/v1/timestamp"))
    }

    @Test func downloadWritesCandleFilesAndResumesWhereTheyEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-download-\(UUID())").path
        let fake = Self.fake()
        // On the hour: 600 hours before the one under way, and 500 hours later.
        let first = Timestamp(seconds: (Self.now / 3_600_000 - 600) * 3_600)
        let middle = Timestamp(seconds: first.seconds + 500 * 3_600)
        let (initial, resumed, unknown) = try await fake.serve { url in
            let initial = try await Kestrel.runOnThread(["data", "download", "--exchange", "kucoin", "--api-url", url,
                                           "--symbols", "XBTUSDTM,ETHUSDTM", "--timeframe", "1h",
                                           "--from", first.iso8601, "--to", middle.iso8601, "--output", directory])
            let resumed = try await Kestrel.runOnThread(["data", "download", "--exchange", "kucoin", "--api-url", url,
                                           "--symbols", "XBTUSDTM", "--from", first.iso8601, "--output", directory])
            let unknown = try await Kestrel.runOnThread(["data", "download", "--exchange", "kucoin", "--api-url", url,
                                           "--symbols", "NOPEUSDTM,ETHUSDTM", "--from", first.iso8601,
                                           "--output", directory])
            return (initial, resumed, unknown)
        }
        #expect(initial.status == 0, "\(initial.stderr)")
        #expect(initial.stdout.contains("XBTUSDTM_1h.csv: 500 candles added, 500 in all"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // From the 500th hour to the last closed one: 100 more (the hour under way is not closed).
        #expect(resumed.stdout.contains("XBTUSDTM_1h.csv: 100 candles added, 600 in all"))
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("NOPEUSDTM"))
        #expect(unknown.stdout.contains("ETHUSDTM_1h.csv: 100 candles added, 600 in all"))

        let path = (directory as NSString).appendingPathComponent("XBTUSDTM_1h.csv")
        let candles = try CandleFileParser(fileName: path).load([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(candles.count == 600)
        #expect(zip(candles, candles.dropFirst()).allSatisfy { $1.time.seconds - $0.time.seconds == 3_600 })
        #expect(candles.first?.time == first)
        let validate = try await Kestrel.runOnThread(["data", "validate", path])
        #expect(validate.status == 0, "\(validate.stderr)")
    }

    @Test func downloadLeavesAFileThatIsNotCandlesAlone() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-download-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("XBTUSDTM_1h.csv")
        try "my notes, not candles\n".write(toFile: path, atomically: true, encoding: .utf8)
        let output = try await Self.fake().serve { url in
            try await Kestrel.runOnThread(["data", "download", "--exchange", "kucoin", "--api-url", url, "--symbols", "XBTUSDTM",
                             "--from", "2025-11-01T00:00:00Z", "--output", directory])
        }
        #expect(output.status == 1)
        #expect(output.stderr.contains("XBTUSDTM_1h.csv"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my notes, not candles\n")
    }
}

/// `kestrel run --exchange kucoin` against the fake: a paper session on a streamed market, end to end.
@Suite(.serialized) struct KuCoinRunTests {
    @Test func aPaperSessionOnTheStreamedMarketScansWithoutRequests() async throws {
        let now = KuCoinCommandTests.now
        let fake = KuCoinCommandTests.fake(symbols: 6)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-live-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let summaryPath = (directory as NSString).appendingPathComponent("summary.json")
        let symbols = ["XBTUSDTM", "ETHUSDTM"] + (2..<6).map { "C\($0)USDTM" }
        let output = try await fake.serve { url in
            let run = Task {
                try await Kestrel.runOnThread(["run", "--exchange", "kucoin", "--api-url", url, "--duration", "15s",
                                 "--check-interval", "5", "--db", (directory as NSString).appendingPathComponent("j.sqlite"),
                                 "--summary-json", summaryPath, "--log-level", "info"])
            }
            // Prices while the run goes on, and a break in the stream once it is up (a loaded machine can take a
            // while to get there). On the fake's thread: on a pool kept busy by other tests, this loop could fall
            // behind the run it is meant to disturb.
            func waitFor(_ condition: () -> Bool) async throws {
                for _ in 0..<1_200 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
            }
            try await fake.onItsThread {
                try await waitFor { fake.streamCounts.open >= 1 }
                for tick in 0..<40 {
                    for (index, symbol) in symbols.enumerated() {
                        let price = 100.0 + Double(index) + Double(tick % 7) * 0.1
                        fake.pushTicker(symbol, bid: price - 0.05, ask: price + 0.05)
                    }
                    if tick == 5 {
                        fake.dropConnections()
                        try await waitFor { fake.streamCounts.opened >= 2 }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            return try await run.value
        }
        #expect(output.status == 0, "\(output.stderr.suffix(2_000))")
        #expect(output.stderr.contains("6 symbols ready"))
        let data = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(summary["invariant_violations"] as? Int == 0)
        #expect((summary["scans"] as? Int ?? 0) >= 1)
        // The server's time, the listing and three candle requests per symbol; then nothing per scan.
        #expect(summary["warm_up_requests"] as? Int == 2 + 6 * 3)
        #expect(summary["rest_requests_per_scan"] as? Double == 0)
        #expect((summary["ws_reconnects"] as? Int ?? 0) >= 1, "\(output.stderr.suffix(3_000))")
        #expect(summary["rate_limited"] as? Int == 0)
        _ = now
    }

    @Test func aRunThatCannotOpenItsJournalStopsWithAnErrorAndClosesItsConnections() async throws {
        // A journal path under a regular file: no directory can be made there.
        let file = try Kestrel.temporaryFile("not-a-directory", "x")
        let output = try await KuCoinCommandTests.fake(symbols: 2).serve { url in
            try await Kestrel.runOnThread(["run", "--exchange", "kucoin", "--api-url", url, "--duration", "5s",
                                           "--db", file + "/journal.sqlite"])
        }
        // An error and its exit code, not a crash (a debug build traps on an HTTP client left open).
        #expect(output.status == 1 || output.status == 64, "\(output.status): \(output.stderr.suffix(1_000))")
        #expect(output.stderr.contains("journal.sqlite"))
    }
}
