import Foundation
import Logging
import NIOCore
import WSClient

/// One WebSocket connection to KuCoin's public or private stream: a new bullet, the `welcome`, the topics
/// subscribed in batches (each acknowledged), pings at the server's interval, and every frame handed on as it comes.
/// Topics added or removed while it runs (listings, delistings) are subscribed or unsubscribed in place. It ends, by
/// throwing, when KuCoin closes it, a pong or an acknowledgement is overdue, nothing arrives for a ping interval
/// and timeout, or KuCoin sends an error; the caller connects again (`keepRunning`).
struct KuCoinStreamConnection: Sendable {
    struct Settings: Sendable {
        /// Topics per subscribe message (symbols joined by commas in one topic count one each).
        var topicsPerSubscribe = 100
        /// The pause between two subscribe messages: KuCoin takes about 100 topics per 10 s.
        var subscribeSpacing: Duration = .seconds(10)
        /// How long the `welcome` and each acknowledgement may take.
        var answerTimeout: Duration = .seconds(10)
        /// The largest message read; a bigger one ends the connection.
        var largestMessage = 1 << 20
        /// Whether the topics are the account's (a private bullet's connection).
        var privateChannel = false
    }

    /// Why a connection ended.
    enum Ended: Error, Sendable, CustomStringConvertible {
        case silent(Duration)
        case noWelcome
        case noAcknowledgement(String)
        case refused(code: String, message: String)
        case closed(String)

        var description: String {
            switch self {
            case .silent(let duration): "nothing heard for \(duration.wholeMilliseconds) ms"
            case .noWelcome: "no welcome"
            case .noAcknowledgement(let topic): "no acknowledgement of \(topic)"
            case .refused(let code, let message): "KuCoin error \(code): \(message)"
            case .closed(let reason): "closed: \(reason)"
            }
        }
    }

    /// The topics this connection should hold now; read at every connect and then every quarter second.
    let topics: @Sendable () -> [String]
    let settings: Settings
    let logger: Logger

    /// What the connection tells its owner.
    enum Signal: Sendable {
        /// Every topic is subscribed and acknowledged: this many.
        case subscribed(topics: Int)
        case frame(KuCoinStreamFrame)
    }

    private struct State {
        var lastHeard = ContinuousClock.now
        var welcomed = false
        /// Subscribe ids still waiting for their ack, with when they were sent and the topic.
        var awaiting: [String: (sent: ContinuousClock.Instant, topic: String)] = [:]
        var nextID = 1
        /// Topics subscribed (or asked for); once `ready`, the watchdog brings them in line with `topics()`.
        var subscribed: Set<String> = []
        var ready = false
        var lastSubscribe: ContinuousClock.Instant?

        mutating func request(_ topic: String, _ type: String) -> String {
            nextID += 1
            let id = "\(type == "subscribe" ? "sub" : "unsub")-\(nextID)"
            awaiting[id] = (ContinuousClock.now, type == "subscribe" ? topic : "\(type) \(topic)")
            return id
        }
    }

    /// Connects with `bullet` and runs until the connection ends; throws why.
    func run(bullet: KuCoinBullet, connectID: String, signal: @escaping @Sendable (Signal) async -> Void) async throws {
        let (url, server) = try bullet.address(connectID: connectID)
        let pingInterval = Duration.milliseconds(max(1_000, server.pingInterval))
        let pingTimeout = Duration.milliseconds(max(1_000, server.pingTimeout))
        let state = Locked(State())
        let settings = self.settings
        let topics = self.topics()
        let wanted = self.topics
        let logger = self.logger
        var configuration = WebSocketClientConfiguration(maxFrameSize: settings.largestMessage)
        configuration.closeTimeout = .seconds(2)
        let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) {
            inbound, outbound, _ in
            let (welcomes, welcome) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The subscriptions, once welcomed: in batches spaced as KuCoin asks, then `subscribed` once every
                // one is acknowledged. In a task of its own, so that the reader goes on reading the acknowledgements.
                group.addTask {
                    var iterator = welcomes.makeAsyncIterator()
                    guard await iterator.next() != nil else { return }
                    try await Self.subscribe(topics, settings: settings, state: state, outbound: outbound)
                    state.withLock { $0.ready = true }
                    await signal(.subscribed(topics: topics.count))
                }
                // The watchdog: pings, and the deadlines of the welcome, the acknowledgements and the silence.
                group.addTask {
                    let clock = ContinuousClock()
                    let started = clock.now
                    var nextPing = clock.now + pingInterval
                    while true {
                        try await Task.sleep(for: min(pingInterval, .milliseconds(250)))
                        let now = clock.now
                        let (heard, welcomed, overdue) = state.withLock { state in
                            (state.lastHeard, state.welcomed,
                             state.awaiting.values.first { now - $0.sent > settings.answerTimeout }?.topic)
                        }
                        if !welcomed, now - started > settings.answerTimeout { throw Ended.noWelcome }
                        if let overdue { throw Ended.noAcknowledgement(overdue) }
                        if now - heard > pingInterval + pingTimeout { throw Ended.silent(now - heard) }
                        if now >= nextPing {
                            nextPing = now + pingInterval
                            let id = state.withLock { state in
                                state.nextID += 1
                                return "ping-\(state.nextID)"
                            }
                            try await outbound.write(.text("{\"id\":\"\(id)\",\"type\":\"ping\"}"))
                        }
                        try await Self.follow(wanted(), settings: settings, state: state, outbound: outbound)
                    }
                }
                // The reader: frames as they come; after the welcome, the subscriptions.
                group.addTask {
                    for try await message in inbound.messages(maxSize: settings.largestMessage) {
                        guard case .text(let text) = message else { continue }
                        state.withLock { $0.lastHeard = ContinuousClock.now }
                        let frame: KuCoinStreamFrame
                        do {
                            frame = try KuCoinStreamFrame.parse(text)
                        } catch {
                            logger.warning("WebSocket frame skipped", metadata: ["error": "\(error)"])
                            continue
                        }
                        switch frame {
                        case .welcome:
                            state.withLock { $0.welcomed = true }
                            welcome.yield()
                            welcome.finish()
                        case .ack(let id):
                            state.withLock { $0.awaiting[id] = nil }
                        case .error(_, let code, let message):
                            throw Ended.refused(code: code, message: message)
                        case .pong:
                            break
                        case .candle, .ticker, .orderChange, .stopOrder, .position, .wallet, .other:
                            await signal(.frame(frame))
                        }
                    }
                    throw Ended.closed("the server ended the stream")
                }
                // The subscriptions end when done; the reader and the watchdog only by throwing, which ends it all.
                defer { group.cancelAll() }
                while try await group.next() != nil {}
            }
        }
        throw Ended.closed(close.map { "close code \($0.closeCode)" } ?? "no close frame")
    }

    /// Sends the subscriptions in batches, spaced as KuCoin asks, and returns once every one is acknowledged.
    private static func subscribe(_ topics: [String], settings: Settings, state: Locked<State>,
                                  outbound: WebSocketOutboundWriter) async throws {
        let batches = stride(from: 0, to: topics.count, by: settings.topicsPerSubscribe).map {
            Array(topics[$0..<min($0 + settings.topicsPerSubscribe, topics.count)])
        }
        for (index, batch) in batches.enumerated() {
            if index > 0 { try await Task.sleep(for: settings.subscribeSpacing) }
            for topic in batch {
                let id = state.withLock { state in
                    state.subscribed.insert(topic)
                    state.lastSubscribe = ContinuousClock.now
                    return state.request(topic, "subscribe")
                }
                try await outbound.write(.text(message(id, "subscribe", topic, privateChannel: settings.privateChannel)))
            }
        }
        // The watchdog ends the connection if an acknowledgement is overdue.
        while state.withLock({ !$0.awaiting.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Once the first subscriptions are in: unsubscribes the topics no longer wanted, and subscribes the new ones,
    /// a batch at a time, spaced as KuCoin asks.
    private static func follow(_ wanted: [String], settings: Settings, state: Locked<State>,
                               outbound: WebSocketOutboundWriter) async throws {
        let now = ContinuousClock.now
        let requests = state.withLock { state -> [(id: String, type: String, topic: String)] in
            guard state.ready else { return [] }
            let wantedSet = Set(wanted)
            var requests = [(id: String, type: String, topic: String)]()
            for topic in state.subscribed.subtracting(wantedSet).sorted() {
                state.subscribed.remove(topic)
                requests.append((state.request(topic, "unsubscribe"), "unsubscribe", topic))
            }
            if state.lastSubscribe.map({ now - $0 >= settings.subscribeSpacing }) ?? true {
                let added = wanted.filter { !state.subscribed.contains($0) }.prefix(settings.topicsPerSubscribe)
                if !added.isEmpty { state.lastSubscribe = now }
                for topic in added {
                    state.subscribed.insert(topic)
                    requests.append((state.request(topic, "subscribe"), "subscribe", topic))
                }
            }
            return requests
        }
        for request in requests {
            try await outbound.write(.text(message(request.id, request.type, request.topic,
                                                   privateChannel: settings.privateChannel)))
        }
    }

    private static func message(_ id: String, _ type: String, _ topic: String, privateChannel: Bool) -> String {
        "{\"id\":\"\(id)\",\"type\":\"\(type)\",\"topic\":\"\(topic)\",\"privateChannel\":\(privateChannel),\"response\":true}"
    }
}
