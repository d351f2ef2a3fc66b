import AsyncHTTPClient
import Crypto
import Foundation
import KestrelCore
import KestrelRuntime
import KestrelServer
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The API over real HTTP on 127.0.0.1: reads of a published status, controls behind the token, and JSON errors for
/// everything a client can get wrong.
@Suite struct APIServerTests {
    static let t0 = Timestamp(parsing: "2026-12-01T12:00:00Z")!
    static let token = "s3cret-token-for-tests"

    /// A status as the desk publishes it: one long position with its stop acknowledged, two closed trades.
    static func status() -> DeskStatus {
        var status = DeskStatus(mode: "paper", venue: "paper")
        status.time = t0
        status.cash = 9_900
        status.equity = 10_050
        status.equityPeak = 10_100
        status.dayStartEquity = 10_000
        status.positions = [DeskStatus.Position(symbol: "XBTUSDTM", side: .long, lots: 3, entryPrice: 100_000,
                                                stopPrice: 98_000, stopState: .acknowledged,
                                                stopOrderID: ClientOrderID("kst-1-4-s-XBTUSDTM"),
                                                unrealizedPnL: 150, openedAt: t0 - 600)]
        status.latestScan = (sequence: 7, finished: t0 - 20)
        status.recentTrades = (1...2).map { index in
            ClosedTrade(symbol: "ETHUSDTM", side: .short, lots: index, entryPrice: 3_000, exitPrice: 2_900,
                        openedAt: t0 - Int64(7_200 * index), closedAt: t0 - Int64(3_600 * (3 - index)),
                        reason: .takeProfit, pnl: 10 * Double(index), fees: 1, funding: 0)
        }
        status.fillsHeard = 4
        status.duplicateFills = 1
        status.rejections = 2
        status.maxMonitorGapSeconds = 6
        status.equityCurve = (0..<100).map { DeskStatus.EquityPoint(time: t0 - Int64(6_000 - 60 * $0), equity: 10_000 + Double($0)) }
        return status
    }

    /// What the controls were asked, in order.
    final class Controls: Sendable {
        let asked = Mutex<[(EngineControl, String)]>([])
    }

    static func sources(_ controls: Controls, status: DeskStatus = status(),
                        counters: @escaping @Sendable () -> APICounters = { APICounters() },
                        samples: @escaping @Sendable (RunRecorder.Counts) -> RunRecorder.Samples = { _ in .init() })
        -> APISources {
        APISources(status: { status }, snapshot: { nil }, control: { control, source in
            controls.asked.withLock { $0.append((control, source)) }
            if case .close(let symbol) = control, symbol != "XBTUSDTM" {
                return ControlOutcome(applied: false, message: "no open position on \(symbol)")
            }
            return ControlOutcome(applied: true, message: "done: \(control)")
        }, settings: { [APISetting(name: "LEVERAGE", value: "5"), APISetting(name: "API_TOKEN", value: "(set, hidden)")] },
        reload: { source in
            controls.asked.withLock { $0.append((.applySettings(EngineSettings(), summary: "reload"), source)) }
            return ControlOutcome(applied: true, message: "applied LEVERAGE 5 → 4")
        }, startingBalance: 10_000, now: { t0 }, scanIntervalSeconds: 30, counters: counters, samples: samples)
    }

    struct Answer {
        var status: Int
        var text: String
        var json: [String: Any]
        var array: [[String: Any]]
        var headers: HTTPHeaders
    }

    /// Runs a server on a free port while `body` runs, with a function that sends one request.
    static func withServer(token: String? = token, sources: APISources,
                           _ body: (@Sendable (String, String, String?) async throws -> Answer) async throws -> Void) async throws {
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = APIServer(address: HTTPAddress(host: "127.0.0.1", port: 0), token: token, sources: sources,
                               logger: logger, onListening: { port.yield($0.port) })
        let running = Task { try await server.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let bound = try #require(await iterator.next())
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body { method, path, bearer in
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(bound)\(path)")
                request.method = HTTPMethod(rawValue: method)
                if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                let parsed = try? JSONSerialization.jsonObject(with: Data(buffer: body))
                return Answer(status: Int(response.status.code), text: String(buffer: body),
                              json: parsed as? [String: Any] ?? [:],
                              array: parsed as? [[String: Any]] ?? [], headers: response.headers)
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func theStatusAndPositionsReadThePublishedValues() async throws {
        try await Self.withServer(sources: Self.sources(Controls())) { send in
            let status = try await send("GET", "/api/v1/status", nil)
            #expect(status.status == 200)
            #expect(status.json["mode"] as? String == "paper")
            #expect(status.json["equity"] as? Double == 10_050)
            #expect(status.json["pnl_today"] as? Double == 50)
            #expect(status.json["pnl_total"] as? Double == 50)
            #expect(status.json["open_positions"] as? Int == 1)
            #expect(status.json["paused"] as? Bool == false)
            #expect((status.json["last_scan"] as? [String: Any])?["age_seconds"] as? Int == 20)
            let drawdown = try #require(status.json["drawdown"] as? Double)
            #expect(abs(drawdown - (1 - 10_050.0 / 10_100)) < 1e-12)

            let positions = try await send("GET", "/api/v1/positions", nil)
            #expect(positions.array.count == 1)
            #expect(positions.array.first?["stop_state"] as? String == "acknowledged")
            #expect(positions.array.first?["stop_price"] as? Double == 98_000)
            #expect(positions.array.first?["age_seconds"] as? Int == 600)

            let orders = try await send("GET", "/api/v1/orders", nil)
            let stop = try #require((orders.json["orders"] as? [[String: Any]])?.first)
            #expect(stop["kind"] as? String == "stop" && stop["trigger_price"] as? Double == 98_000)
        }
    }

    @Test func tradesArePagedBySinceAndTheEquityCurveIsThinned() async throws {
        try await Self.withServer(sources: Self.sources(Controls())) { send in
            let all = try await send("GET", "/api/v1/trades", nil)
            let trades = try #require(all.json["trades"] as? [[String: Any]])
            #expect(trades.count == 2)
            let first = try #require(trades.first?["closed_at"] as? String)
            let after = try await send("GET", "/api/v1/trades?since=\(first)", nil)
            #expect((after.json["trades"] as? [[String: Any]])?.count == 1)
            let limited = try await send("GET", "/api/v1/trades?limit=1", nil)
            #expect(limited.json["next_since"] as? String == first)

            let equity = try await send("GET", "/api/v1/equity?points=10", nil)
            let points = try #require(equity.json["points"] as? [[String: Any]])
            #expect(points.count <= 11 && points.count >= 10)
            #expect(points.last?["equity"] as? Double == 10_099)
        }
    }

    @Test func badRequestsAreAnsweredWithJSONErrorsNeverACrash() async throws {
        try await Self.withServer(sources: Self.sources(Controls())) { send in
            let unknown = try await send("GET", "/api/v1/nothing-here", nil)
            #expect(unknown.status == 404)
            #expect((unknown.json["error"] as? [String: Any])?["status"] as? Int == 404)
            for path in ["/api/v1/equity?points=1", "/api/v1/equity?points=abc", "/api/v1/trades?since=yesterday",
                         "/api/v1/trades?limit=0"] {
                let bad = try await send("GET", path, nil)
                #expect(bad.status == 400, "\(path)")
                let message = (bad.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(!message.isEmpty, "\(path)")
            }
            // Still serving.
            #expect(try await send("GET", "/healthz", nil).status == 200)
        }
    }

    @Test func controlsNeedTheTokenAndGuessingIsThrottled() async throws {
        let controls = Controls()
        try await Self.withServer(sources: Self.sources(controls)) { send in
            #expect(try await send("POST", "/api/v1/pause", nil).status == 401)
            #expect(try await send("POST", "/api/v1/pause", "wrong").status == 401)
            #expect(controls.asked.withLock { $0.isEmpty })
            let paused = try await send("POST", "/api/v1/pause", Self.token)
            #expect(paused.status == 200 && paused.json["applied"] as? Bool == true)
            let close = try await send("POST", "/api/v1/positions/XBTUSDTM/close", Self.token)
            #expect(close.status == 200)
            let none = try await send("POST", "/api/v1/positions/DOGEUSDTM/close", Self.token)
            #expect(none.status == 404 && none.json["applied"] as? Bool == false)
            let asked = controls.asked.withLock { $0 }
            #expect(asked.map(\.0) == [.pauseEntries, .close(symbol: "XBTUSDTM"), .close(symbol: "DOGEUSDTM")])
            #expect(asked.allSatisfy { $0.1 == "api 127.0.0.1" })
            // Three more wrong tokens make five in a minute: even the right one is refused for now.
            for _ in 0..<3 { _ = try await send("POST", "/api/v1/resume", "guess") }
            let throttled = try await send("POST", "/api/v1/resume", Self.token)
            #expect(throttled.status == 429)
            #expect(controls.asked.withLock { $0.count } == 3)
        }
    }

    @Test func cancellingOrdersAndReloadingAreControlsBehindTheTokenToo() async throws {
        let controls = Controls()
        try await Self.withServer(sources: Self.sources(controls)) { send in
            #expect(try await send("POST", "/api/v1/orders/cancel-all", nil).status == 401)
            #expect(try await send("POST", "/api/v1/reload", "wrong").status == 401)
            #expect(controls.asked.withLock { $0.isEmpty })
            let cancelled = try await send("POST", "/api/v1/orders/cancel-all", Self.token)
            #expect(cancelled.status == 200 && cancelled.json["message"] as? String == "done: cancel-all")
            let reloaded = try await send("POST", "/api/v1/reload", Self.token)
            #expect(reloaded.status == 200 && reloaded.json["message"] as? String == "applied LEVERAGE 5 → 4")
            #expect(controls.asked.withLock { $0.map(\.0.description) } == ["cancel-all", "reload"])
        }
    }

    @Test func theDashboardIsOneSelfContainedPageWhoseScriptsThePolicyAllows() async throws {
        try await Self.withServer(sources: Self.sources(Controls())) { send in
            let page = try await send("GET", "/", nil)
            #expect(page.status == 200)
            #expect(page.headers.first(name: "content-type") == "text/html; charset=utf-8")
            #expect(page.headers.first(name: "x-frame-options") == "DENY")
            // Nothing loaded from anywhere else: no external script, style, font or image.
            #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http"))
            #expect(!page.text.contains("/*kestrel:"), "every placeholder is filled")
            #expect(page.text.contains("KestrelChart") && page.text.contains("/api/v1/events"))
            // The policy names each inline script by its hash, and nothing else may run.
            let policy = try #require(page.headers.first(name: "content-security-policy"))
            #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("script-src 'unsafe-inline'"))
            var rest = page.text[...]
            var scripts = 0
            while let open = rest.range(of: "<script>"), let close = rest.range(of: "</script>", range: open.upperBound..<rest.endIndex) {
                let digest = Data(SHA256.hash(data: Data(rest[open.upperBound..<close.lowerBound].utf8))).base64EncodedString()
                #expect(policy.contains("'sha256-\(digest)'"))
                scripts += 1
                rest = rest[close.upperBound...]
            }
            #expect(scripts == 2)
        }
    }

    @Test func scansReportTheRunsTimingAndTheLatestSnapshot() async throws {
        let samples: @Sendable (RunRecorder.Counts) -> RunRecorder.Samples = { _ in
            RunRecorder.Samples(scans: (1...100).map { .milliseconds($0) }, signalAges: [.microseconds(250)])
        }
        try await Self.withServer(sources: Self.sources(Controls(), samples: samples)) { send in
            let scans = try await send("GET", "/api/v1/scans", nil)
            #expect(scans.status == 200)
            #expect(scans.json["scans"] as? Int == 7)
            #expect(scans.json["interval_seconds"] as? Int == 30)
            #expect(scans.json["last_age_seconds"] as? Int == 20)
            #expect(scans.json["last_duration_ms"] as? Double == 100)
            let durations = try #require(scans.json["duration_ms"] as? [String: Double])
            // Nearest rank, as the run's summary counts: the 50th and 99th of 100.
            #expect(durations["p50"] == 50 && durations["p99"] == 99 && durations["max"] == 100)
            #expect((scans.json["signal_age_at_order_ms"] as? [String: Double])?["p50"] == 0.25)
            #expect(scans.json["journal_commit_ms"] == nil, "no commit recorded: the field is left out")
        }
    }

    @Test func riskShowsTheDaysLossCooldownsAndTheSizeKellyGivesNow() async throws {
        var status = Self.status()
        var risk = RiskState(equity: 10_000, time: Self.t0 - 86_000)
        // 30 closed trades, two wins in three, wins twice the size of losses; one symbol still cooling down.
        for index in 0..<30 {
            risk.recordClosedTrade(pnl: index % 3 == 2 ? -100 : 200, equityAtEntry: 10_000,
                                   symbol: index == 29 ? "ETHUSDTM" : "XBTUSDTM", at: Self.t0 - 100, cooldown: 3_600)
        }
        risk.cooldownUntil["SOLUSDTM"] = Self.t0 - 1
        status.riskState = risk
        status.riskSettings = RiskSettings(riskPerTrade: 0.02, dailyLossLimit: 0.05)
        status.dailyLoss = 0.01
        let expected = RiskManager(settings: status.riskSettings, maintenanceMarginRate: 0.005)
            .riskFraction(state: risk, equity: status.equity)
        try await Self.withServer(sources: Self.sources(Controls(), status: status)) { send in
            let answer = try await send("GET", "/api/v1/risk", nil)
            #expect(answer.status == 200)
            #expect(answer.json["daily_loss"] as? Double == 0.01 && answer.json["daily_loss_limit"] as? Double == 0.05)
            #expect(answer.json["loss_streak"] as? Int == 1 && answer.json["win_streak"] as? Int == 0)
            // Only cool-downs still running, with what is left of them.
            let cooldowns = try #require(answer.json["cooldowns"] as? [[String: Any]])
            #expect(cooldowns.compactMap { $0["symbol"] as? String } == ["ETHUSDTM", "XBTUSDTM"])
            #expect(cooldowns.first?["remaining_seconds"] as? Int == 3_500)
            let kelly = try #require(answer.json["kelly"] as? [String: Any])
            #expect(kelly["trades"] as? Int == 30 && kelly["active"] as? Bool == true)
            #expect(kelly["win_rate"] as? Double == 20.0 / 30)
            #expect(abs((kelly["payoff_ratio"] as? Double ?? 0) - 2) < 1e-9)
            #expect(kelly["risk_per_trade"] as? Double == expected && expected != 0.02)
        }
    }

    @Test func withoutATokenConfiguredControlsAreOff() async throws {
        let controls = Controls()
        try await Self.withServer(token: nil, sources: Self.sources(controls)) { send in
            let refused = try await send("POST", "/api/v1/close-all", "anything")
            #expect(refused.status == 403)
            #expect(controls.asked.withLock { $0.isEmpty })
            // Reads stay open.
            #expect(try await send("GET", "/api/v1/config", nil).status == 200)
        }
    }

    @Test func readinessSaysWhatIsNotReady() async throws {
        var stale = Self.status()
        stale.latestScan = (sequence: 7, finished: Self.t0 - 3_600)
        stale.connected = false
        try await Self.withServer(sources: Self.sources(Controls(), status: stale)) { send in
            let ready = try await send("GET", "/readyz", nil)
            #expect(ready.status == 503)
            let checks = try #require(ready.json["checks"] as? [String: [String: Any]])
            #expect(checks["market_data"]?["ok"] as? Bool == false)
            #expect(checks["venue"]?["ok"] as? Bool == false)
            #expect(checks["journal"]?["ok"] as? Bool == true)
        }
        try await Self.withServer(sources: Self.sources(Controls())) { send in
            let ready = try await send("GET", "/readyz", nil)
            #expect(ready.status == 200)
        }
    }

    @Test func metricsArePrometheusTextOfThePublishedValuesAndTheRunsCounters() async throws {
        let sent = Mutex(3)
        let counters: @Sendable () -> APICounters = {
            var counters = APICounters()
            counters.ordersSent = sent.withLock { $0 }
            counters.restRequests = ["GET /api/v1/positions": 4]
            counters.restAnswers = [.init(endpoint: "GET /api/v1/positions", status: "200"): 3,
                                    .init(endpoint: "GET /api/v1/positions", status: "429"): 1]
            counters.rateLimitRemaining = ["futures": 1_960]
            return counters
        }
        // Two scans of 2 ms and 40 ms, one signal age and one journal commit recorded before the first scrape.
        let samples: @Sendable (RunRecorder.Counts) -> RunRecorder.Samples = { seen in
            RunRecorder.Samples(scans: Array([Duration.milliseconds(2), .milliseconds(40)].dropFirst(seen.scans)),
                                signalAges: Array([Duration.microseconds(300)].dropFirst(seen.signalAges)),
                                journalCommits: Array([Duration.microseconds(80)].dropFirst(seen.journalCommits)))
        }
        try await Self.withServer(sources: Self.sources(Controls(), counters: counters, samples: samples)) { send in
            let first = try await send("GET", "/metrics", nil)
            #expect(first.status == 200)
            let text = first.text
            #expect(text.contains("kestrel_equity 10050"), "\(text)")
            #expect(text.contains("kestrel_open_positions 1"))
            #expect(text.contains("kestrel_orders_total{outcome=\"sent\"} 3"))
            #expect(text.contains("kestrel_rest_requests_total{endpoint=\"GET /api/v1/positions\"} 4"))
            #expect(text.contains("kestrel_scan_duration_seconds_count 2"))
            #expect(text.contains("kestrel_opportunity_age_at_order_seconds_count 1"))
            #expect(text.contains("kestrel_journal_commit_seconds_count 1"))
            #expect(text.contains("kestrel_rest_responses_total{endpoint=\"GET /api/v1/positions\",status=\"429\"} 1"), "\(text)")
            #expect(text.contains("kestrel_rate_limit_remaining{pool=\"futures\"} 1960"))
            #expect(text.contains("kestrel_fills_total 4"))
            #expect(text.contains("kestrel_order_rejections_total 2"))
            #expect(text.contains("kestrel_monitor_max_gap_seconds 6"))
            // Counters grow by what was counted since; samples are taken once.
            sent.withLock { $0 = 5 }
            let second = try await send("GET", "/metrics", nil).text
            #expect(second.contains("kestrel_orders_total{outcome=\"sent\"} 5"))
            #expect(second.contains("kestrel_scan_duration_seconds_count 2"))
        }
    }

    @Test func theEventStreamPushesStatusThenWhatTheDeskPublishesAndEndsWithTheBot() async throws {
        let hub = DeskEventHub()
        var sources = Self.sources(Controls())
        sources.events = { hub.watch() }
        sources.endStreams = { hub.finish() }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let server = APIServer(address: HTTPAddress(host: "127.0.0.1", port: 0), token: nil, sources: sources,
                               logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                               onListening: { port.yield($0.port) })
        let running = Task { try await server.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let bound = try #require(await iterator.next())
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(bound)/api/v1/events"),
                                                    timeout: .seconds(30))
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            var received = ""
            var published = false
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if !published, received.contains("event: status") {
                    // Watching now: what the desk publishes reaches this stream.
                    while hub.watcherCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    hub.publish(.warning("KuCoin stream lost"))
                    hub.publish(.closed(Self.status().recentTrades[0]))
                    published = true
                }
                if received.contains("event: closed") { hub.finish() }
            }
            // Ended by the hub: the loop above returned.
            #expect(received.hasPrefix("event: status\ndata: {"))
            #expect(received.contains("event: warning\ndata: {\"message\":\"KuCoin stream lost\"}\n\n"))
            #expect(received.contains("\"reason\":\"take_profit\""))
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Hourly candles of ETHUSDTM up to now, the hour before each at a price a dollar lower.
    struct HourlyMarket: MarketDataSource {
        func instruments(at time: Timestamp) async throws -> [Instrument] { [] }
        func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws
            -> [Candle] {
            guard symbol == "ETHUSDTM" else { throw UnknownSymbol(symbol: symbol) }
            return (0..<limit).reversed().map { back in
                let open = Timestamp(seconds: (time.seconds / 3_600 - 1 - Int64(back)) * 3_600)
                let price = 3_000 - Double(back)
                return Candle(time: open, open: price, high: price + 5, low: price - 5, close: price + 1, volume: 10)
            }
        }
    }

    @Test func candlesForAChartCarryKestrelsEntriesAndExits() async throws {
        var sources = Self.sources(Controls())
        sources.market = HourlyMarket()
        try await Self.withServer(sources: sources) { send in
            let chart = try await send("GET", "/api/v1/candles?symbol=ETHUSDTM&timeframe=1h&limit=5", nil)
            #expect(chart.status == 200)
            let candles = try #require(chart.json["candles"] as? [[String: Any]])
            #expect(candles.count == 5 && candles.last?["close"] as? Double == 3_001)
            // The two trades opened two and four hours ago and closed one and two hours ago: all inside the five
            // hours charted.
            let marks = try #require(chart.json["marks"] as? [[String: Any]])
            #expect(marks.filter { $0["kind"] as? String == "exit" }.count == 2)
            #expect(marks.filter { $0["kind"] as? String == "entry" }.count == 2)
            // Three hours: the entry four hours ago is left out.
            let short = try await send("GET", "/api/v1/candles?symbol=ETHUSDTM&limit=3", nil)
            let shortMarks = try #require(short.json["marks"] as? [[String: Any]])
            #expect(shortMarks.filter { $0["kind"] as? String == "entry" }.count == 1)
            #expect(chart.json["stop"] == nil || chart.json["stop"] is NSNull)
            for (path, code) in [("/api/v1/candles", 400), ("/api/v1/candles?symbol=ETHUSDTM&timeframe=7x", 400),
                                 ("/api/v1/candles?symbol=NOPE", 404)] {
                #expect(try await send("GET", path, nil).status == code, "\(path)")
            }
        }
    }

    @Test func addressesAreReadAndLoopbackIsKnown() throws {
        #expect(try HTTPAddress.parse("off") == nil)
        #expect(try HTTPAddress.parse("127.0.0.1:8420") == HTTPAddress(host: "127.0.0.1", port: 8420))
        #expect(try HTTPAddress.parse("[::1]:9000")?.isLoopback == true)
        #expect(try HTTPAddress.parse("0.0.0.0:8420")?.isLoopback == false)
        #expect(throws: HTTPAddressError.self) { try HTTPAddress.parse("8420") }
        #expect(throws: HTTPAddressError.self) { try HTTPAddress.parse("localhost:99999") }
    }
}
