import AsyncHTTPClient
public import Foundation
public import KestrelRuntime
public import Logging
public import ServiceLifecycle
import KestrelCore
import NIOCore
import NIOHTTP1

/// Where alerts go: a Telegram chat, a JSON webhook, or both.
public struct AlertSettings: Sendable {
    public var webhookURL: String?
    public var telegramToken: String?
    public var telegramChatID: String?
    /// Telegram's Bot API (another address only for tests).
    public var telegramAPIURL = "https://api.telegram.org"
    /// At most this many alerts a minute, every channel together: a storm cannot get the bot banned.
    public var perMinute = 20
    /// The daily loss limit, to say when it is reached.
    public var dailyLossLimit = 0.05
    /// A venue disconnected this long is worth a warning (shorter breaks mend themselves).
    public var disconnectedWarningAfter: Duration = .seconds(60)

    public init(webhookURL: String? = nil, telegramToken: String? = nil, telegramChatID: String? = nil) {
        self.webhookURL = webhookURL
        self.telegramToken = telegramToken
        self.telegramChatID = telegramChatID
    }

    public var sendsTelegram: Bool { telegramToken != nil && telegramChatID != nil }
    public var isActive: Bool { webhookURL != nil || sendsTelegram }
}

/// Tells the trader what happens, in the background: trades opened and closed, stops hit, a daily summary at 00:00
/// UTC, and warnings (the venue disconnected for more than a minute, reconciliation differences, unknown orders,
/// journal failures, the daily loss limit reached, the key refused).
///
/// - Nothing waits for it: it watches the desk's events (a buffer of its own) and its published status.
/// - Each alert is sent to each channel with retries (1, 2, 4 s); one that still fails is logged and dropped.
/// - At most `perMinute` a minute; beyond that alerts wait in a queue that keeps the newest 100.
/// - Tokens and webhook addresses are never logged: a failure names the channel and the HTTP status only.
public struct AlertService: Service, CustomStringConvertible {
    private let settings: AlertSettings
    private let events: @Sendable () -> AsyncStream<DeskEvent>
    private let status: @Sendable () -> DeskStatus
    private let logger: Logger
    /// How often the status is looked at (disconnection, journal, loss limit, the day's change).
    private let checkEvery: Duration
    /// The wall clock, for the day's change and how long the venue has been away.
    private let now: @Sendable () -> Date

    public init(settings: AlertSettings, events: @escaping @Sendable () -> AsyncStream<DeskEvent>,
                status: @escaping @Sendable () -> DeskStatus, logger: Logger, checkEvery: Duration = .seconds(5),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.events = events
        self.status = status
        self.logger = logger
        self.checkEvery = checkEvery
        self.now = now
    }

    public var description: String { "AlertService" }

    public func run() async throws {
        let (queue, enqueue) = AsyncStream.makeStream(of: Alert.self, bufferingPolicy: .bufferingNewest(100))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let mode = status().mode
        let watched = events()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    for await event in watched {
                        if let alert = Alert.of(event, mode: mode) { enqueue.yield(alert) }
                    }
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await watchStatus(enqueue) }
                enqueue.finish()
            }
            // Stopped with the rest: an alert still queued when the bot stops is dropped, rather than holding the
            // shutdown up for a rate limit's minute.
            group.addTask { await cancelWhenGracefulShutdown { await send(queue, with: client) } }
        }
        try? await client.shutdown()
    }

    /// Looks at the status every `checkEvery`: what it should warn about, and the day's summary.
    private func watchStatus(_ enqueue: AsyncStream<Alert>.Continuation) async {
        var disconnectedSince: Date?
        var warnedDisconnected = false
        var warnedJournal = false
        var warnedLossOnDay: Int?
        var day = Self.utcDay(now())
        while !Task.isCancelled {
            do { try await Task.sleep(for: checkEvery) } catch { return }
            let status = self.status()
            let now = self.now()
            if status.connected {
                if warnedDisconnected { enqueue.yield(Alert(kind: .warning, text: "🔌 \(status.venue) connected again")) }
                disconnectedSince = nil
                warnedDisconnected = false
            } else {
                let since = disconnectedSince ?? now
                disconnectedSince = since
                let limit = settings.disconnectedWarningAfter
                if !warnedDisconnected, now.timeIntervalSince(since) >= limit.totalSeconds {
                    warnedDisconnected = true
                    enqueue.yield(Alert(kind: .warning, text: "🔌 \(status.venue) disconnected for \(limit.components.seconds) s or more",
                                        fields: ["venue": status.venue]))
                }
            }
            if !status.journalHealthy, !warnedJournal {
                warnedJournal = true
                enqueue.yield(Alert(kind: .warning, text: "💾 The journal could not record the last step"))
            } else if status.journalHealthy {
                warnedJournal = false
            }
            let today = Self.utcDay(now)
            if status.dailyLoss >= settings.dailyLossLimit, warnedLossOnDay != today {
                warnedLossOnDay = today
                enqueue.yield(Alert(kind: .warning,
                                    text: "🛑 Daily loss limit reached (\(NumberText.percent(status.dailyLoss))): no new entries until 00:00 UTC"))
            }
            if today != day {
                day = today
                enqueue.yield(Self.summary(status, day: today - 1))
            }
        }
    }

    static func utcDay(_ date: Date) -> Int { Int(date.timeIntervalSince1970 / 86_400) }

    static func summary(_ status: DeskStatus, day: Int) -> Alert {
        let date = Timestamp(seconds: Int64(day) * 86_400).iso8601.prefix(10)
        let pnl = status.dayStartEquity > 0 ? status.equity - status.dayStartEquity : 0
        let closed = status.recentTrades.filter { Int($0.closedAt.seconds / 86_400) == day }
        let text = "📊 \(date): equity \(NumberText.compact(status.equity)), PnL \(pnl >= 0 ? "+" : "")\(NumberText.compact(pnl)), "
            + "\(closed.count) trade(s) closed, \(status.positions.count) open"
        return Alert(kind: .dailySummary, text: text,
                     fields: ["date": String(date), "equity": "\(status.equity)", "pnl": "\(pnl)",
                              "trades_closed": "\(closed.count)", "open_positions": "\(status.positions.count)"])
    }

    /// Sends what the queue holds, at most `perMinute` a minute, until the queue ends.
    private func send(_ queue: AsyncStream<Alert>, with client: HTTPClient) async {
        var sent = [ContinuousClock.Instant]()
        for await alert in queue {
            // Stopping: what is still queued is dropped (a cancelled stream still hands out what it buffered).
            guard !Task.isCancelled else { return }
            sent.removeAll { ContinuousClock.now - $0 > .seconds(60) }
            if sent.count >= settings.perMinute, let oldest = sent.first {
                do { try await Task.sleep(until: oldest + .seconds(60)) } catch { return }
                sent.removeFirst()
            }
            sent.append(.now)
            if let url = settings.webhookURL {
                await deliver(alert, channel: "webhook", client: client) {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    var body = alert.fields
                    body["kind"] = alert.kind.rawValue
                    body["text"] = alert.text
                    request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(
                        withJSONObject: body, options: [.sortedKeys])) ?? Data()))
                    return request
                }
            }
            if let token = settings.telegramToken, let chat = settings.telegramChatID {
                await deliver(alert, channel: "telegram", client: client) {
                    var request = HTTPClientRequest(url: "\(settings.telegramAPIURL)/bot\(token)/sendMessage")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(
                        withJSONObject: ["chat_id": chat, "text": alert.text], options: [.sortedKeys])) ?? Data()))
                    return request
                }
            }
        }
    }

    /// Up to four tries, 1, 2 and 4 s apart, for a failure that may pass (no answer, 429, 5xx).
    private func deliver(_ alert: Alert, channel: String, client: HTTPClient,
                         _ request: () -> HTTPClientRequest) async {
        var wait = Duration.seconds(1)
        for attempt in 1...4 {
            let failure: String
            do {
                let response = try await client.execute(request(), timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 * 1_024)
                let code = Int(response.status.code)
                if (200..<300).contains(code) {
                    logger.debug("🔔 \(channel) alert sent", metadata: ["kind": "\(alert.kind.rawValue)"])
                    return
                }
                failure = "HTTP \(code)"
                guard code == 429 || code >= 500 else { break }
            } catch {
                failure = "no answer"
            }
            guard attempt < 4, !Task.isCancelled else {
                logger.warning("🔔 \(channel) alert not sent after \(attempt) tries: \(failure)")
                return
            }
            do { try await Task.sleep(for: wait) } catch { return }
            wait *= 2
        }
        logger.warning("🔔 \(channel) alert refused", metadata: ["kind": "\(alert.kind.rawValue)"])
    }
}
