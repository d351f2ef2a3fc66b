import Foundation
import HTTPTypes
import Hummingbird
import KestrelAlerts
import KestrelCore
import KestrelRuntime
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Alerts sent to a fake Telegram and a fake webhook on 127.0.0.1: what the desk's events and status are worth, the
/// retries, the rate limit.
@Suite struct AlertServiceTests {
    static let t0 = Timestamp(parsing: "2026-12-01T12:00:00Z")!

    /// The fake's record of what it received, and its answers.
    final class Receiver: Sendable {
        struct Received: Sendable {
            var path: String
            var json: [String: String]
        }

        let received = Mutex<[Received]>([])
        /// Answers with 500 this many times before answering 200.
        let failures = Mutex(0)

        var all: [Received] { received.withLock { $0 } }

        func until(_ count: Int, seconds: Double = 15) async throws {
            let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
            while all.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    /// Runs a fake on a free port while `body` runs with its base URL.
    static func withReceiver(_ receiver: Receiver, _ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("**") { request, context in
            let body = try await request.body.collect(upTo: 1 << 16)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            let json = object.mapValues { "\($0)" }
            let fail = receiver.failures.withLock { count -> Bool in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
            if fail { return Response(status: .internalServerError) }
            receiver.received.withLock { $0.append(.init(path: request.uri.path, json: json)) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
        }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-alerts")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { port.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let bound = try #require(await iterator.next())
        try await body("http://127.0.0.1:\(bound)")
    }

    /// Runs the service over `hub` and `status` while `body` runs.
    static func withService(_ settings: AlertSettings, hub: DeskEventHub, status: @escaping @Sendable () -> DeskStatus,
                            now: @escaping @Sendable () -> Date = { Date() }, _ body: () async throws -> Void) async throws {
        let service = AlertService(settings: settings, events: { hub.watch() }, status: status,
                                   logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                   checkEvery: .milliseconds(20), now: now)
        let running = Task { try await service.run() }
        while hub.watcherCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await body()
        running.cancel()
        hub.finish()
        _ = try? await running.value
    }

    static func trade(pnl: Double, reason: ExitReason) -> ClosedTrade {
        ClosedTrade(symbol: "XBTUSDTM", side: .long, lots: 3, entryPrice: 100_000, exitPrice: 98_000,
                    openedAt: t0 - 600, closedAt: t0, reason: reason, pnl: pnl, fees: 1, funding: 0)
    }

    @Test func tradesGoToTelegramAndTheWebhookAStopHitSaysSo() async throws {
        let receiver = Receiver()
        try await Self.withReceiver(receiver) { url in
            var settings = AlertSettings(webhookURL: url + "/hook", telegramToken: "123:secret", telegramChatID: "42")
            settings.telegramAPIURL = url
            let hub = DeskEventHub()
            try await Self.withService(settings, hub: hub, status: { DeskStatus(mode: "live", venue: "kucoin") }) {
                hub.publish(.opened(symbol: "XBTUSDTM", side: .long, lots: 3, price: 100_000, stop: 98_000, time: Self.t0))
                hub.publish(.fill(Fill(orderID: ClientOrderID("kst-1"), tradeID: TradeID("t1"), symbol: "XBTUSDTM",
                                       side: .buy, lots: 3, price: 100_000, fee: 1, time: Self.t0)))
                hub.publish(.closed(Self.trade(pnl: -60, reason: .stopLoss)))
                try await receiver.until(4)
            }
        }
        let all = receiver.all
        #expect(Set(all.map { "\($0.path) \($0.json["text"] ?? "")" }).count == 4, "\(all.map(\.json))")
        let hook = all.filter { $0.path == "/hook" }
        #expect(Set(hook.compactMap { $0.json["kind"] }) == ["trade_opened", "stop_hit"])
        #expect(hook.last?.json["pnl"] == "-60.0" && hook.last?.json["reason"] == "stop_loss")
        let telegram = all.filter { $0.path == "/bot123:secret/sendMessage" }
        #expect(!telegram.isEmpty && telegram.allSatisfy { $0.json["chat_id"] == "42" })
        #expect(telegram.last?.json["text"]?.contains("Stop hit long XBTUSDTM: PnL -60") == true)
    }

    @Test func aFailingWebhookIsTriedAgain() async throws {
        let receiver = Receiver()
        receiver.failures.withLock { $0 = 2 }
        try await Self.withReceiver(receiver) { url in
            let hub = DeskEventHub()
            try await Self.withService(AlertSettings(webhookURL: url + "/hook"), hub: hub,
                                       status: { DeskStatus(mode: "paper", venue: "paper") }) {
                hub.publish(.warning("KuCoin refused the API key"))
                try await receiver.until(1)
            }
        }
        #expect(receiver.all.first?.json["text"] == "[paper] ⚠️ KuCoin refused the API key")
    }

    @Test func aStormIsCutToTheRateLimit() async throws {
        let receiver = Receiver()
        try await Self.withReceiver(receiver) { url in
            var settings = AlertSettings(webhookURL: url + "/hook")
            settings.perMinute = 3
            let hub = DeskEventHub()
            try await Self.withService(settings, hub: hub, status: { DeskStatus(mode: "live", venue: "kucoin") }) {
                for index in 0..<10 { hub.publish(.warning("warning \(index)")) }
                try await receiver.until(3)
                try await Task.sleep(for: .milliseconds(500))
                // Distinct alerts: on a loaded machine a slow answer is retried, and the fake sees it twice.
                #expect(Set(receiver.all.compactMap { $0.json["text"] }).count == 3)
            }
        }
        // Stopped with seven still queued: they are dropped, not sent in a rush.
        #expect(Set(receiver.all.compactMap { $0.json["text"] }).count == 3)
    }

    @Test func aLongDisconnectionAndTheDaysChangeAreTold() async throws {
        let receiver = Receiver()
        let clock = Mutex(Date(timeIntervalSince1970: Double(Self.t0.seconds)))
        let connected = Mutex(true)
        try await Self.withReceiver(receiver) { url in
            var settings = AlertSettings(webhookURL: url + "/hook")
            settings.disconnectedWarningAfter = .milliseconds(100)
            let hub = DeskEventHub()
            let status: @Sendable () -> DeskStatus = {
                var status = DeskStatus(mode: "live", venue: "kucoin")
                status.connected = connected.withLock { $0 }
                status.equity = 10_100
                status.dayStartEquity = 10_000
                return status
            }
            try await Self.withService(settings, hub: hub, status: status, now: { clock.withLock { $0 } }) {
                connected.withLock { $0 = false }
                try await Task.sleep(for: .milliseconds(60))
                clock.withLock { $0 += 1 }
                try await receiver.until(1)
                // Midnight UTC passes.
                clock.withLock { $0 += 86_400 }
                try await receiver.until(2)
            }
        }
        let texts = receiver.all.compactMap { $0.json["text"] }
        #expect(texts.first?.contains("kucoin disconnected") == true, "\(texts)")
        #expect(texts.contains { $0.hasPrefix("📊 2026-12-01: equity 10100, PnL +100") }, "\(texts)")
    }
}
