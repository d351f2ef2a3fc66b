import Foundation
public import KestrelCore
public import Logging
import Synchronization

/// What KuCoin's public stream tells Kestrel.
public enum KuCoinStreamEvent: Sendable, Equatable {
    /// A candle as it stands: still forming until its period has ended.
    case candle(symbol: String, timeframe: Timeframe, candle: Candle)
    /// The middle of the best bid and ask.
    case price(symbol: String, price: Double, nanoseconds: Int64)
    /// Connection `connection` has every one of its topics subscribed; `reconnected` after a break.
    case connected(connection: Int, topics: Int, reconnected: Bool)
    /// Connection `connection` broke; it connects again by itself.
    case disconnected(connection: Int, reason: String)
}

/// KuCoin's public market stream over as many WebSocket connections as its topics need, each connecting again by
/// itself after a break: at once the first time, then after a growing, jittered pause, with a new bullet (tokens
/// expire) and every topic subscribed again.
///
/// The topics can change while it runs (`setTopics`: listings and delistings): a topic removed is unsubscribed on
/// its connection; one added goes to a connection with room, or to a new connection.
public final class KuCoinPublicStream: Sendable {
    public struct Settings: Sendable {
        /// Topics per connection at the start, leaving room for listings. KuCoin takes about 300 on a connection but
        /// about 100 per 10 s: a connection of 100 at most subscribes again in one batch after a drop.
        public var topicsPerConnection = 90
        /// Topics per connection at most, listings included.
        public var topicLimit = 100
        /// The longest pause between two attempts to connect.
        public var longestBackoff: Duration = .seconds(30)
        /// The pause before the second attempt; each next one doubles.
        public var firstBackoff: Duration = .milliseconds(500)
        var connection = KuCoinStreamConnection.Settings()

        public init() {}

        /// The pause between subscribe messages (KuCoin: about 100 topics per 10 s).
        public var subscribeSpacing: Duration {
            get { connection.subscribeSpacing }
            set { connection.subscribeSpacing = newValue }
        }

        /// How long the welcome and each acknowledgement may take.
        public var answerTimeout: Duration {
            get { connection.answerTimeout }
            set { connection.answerTimeout = newValue }
        }
    }

    public let settings: Settings
    private let client: KuCoinRESTClient
    private let logger: Logger
    private let counts = Mutex((reconnects: 0, bullets: 0))
    /// The topics each connection should hold, by connection.
    private let wanted: Mutex<[[String]]>
    /// Connections added by `setTopics` after `run` began: `run` starts them.
    private let added: (stream: AsyncStream<Int>, continuation: AsyncStream<Int>.Continuation)

    public init(client: KuCoinRESTClient, topics: [String], settings: Settings = Settings(),
                logger: Logger = Logger(label: "kestrel.kucoin.stream")) {
        self.client = client
        self.settings = settings
        self.logger = logger
        let size = max(1, min(settings.topicsPerConnection, settings.topicLimit))
        wanted = Mutex(stride(from: 0, to: topics.count, by: size).map {
            Array(topics[$0..<min($0 + size, topics.count)])
        })
        added = AsyncStream.makeStream()
    }

    /// Every topic wanted now, connection by connection.
    public var topics: [String] { wanted.withLock { $0.flatMap { $0 } } }

    /// How many connections the topics take.
    public var connections: Int { wanted.withLock { $0.count } }

    /// Makes `topics` the set streamed: the ones gone are unsubscribed, the new ones subscribed where there is room.
    public func setTopics(_ topics: [String]) {
        let newConnections = wanted.withLock { groups -> [Int] in
            let keep = Set(topics)
            for index in groups.indices { groups[index].removeAll { !keep.contains($0) } }
            let held = Set(groups.flatMap { $0 })
            var fresh = [Int]()
            for topic in topics where !held.contains(topic) {
                if let index = groups.indices.first(where: { groups[$0].count < settings.topicLimit }) {
                    groups[index].append(topic)
                } else {
                    groups.append([topic])
                    fresh.append(groups.count - 1)
                }
            }
            return fresh
        }
        for index in newConnections { added.continuation.yield(index) }
    }

    /// The topics for `symbols`: each one's candles of `timeframe` and, with `tickers`, its best bid and ask.
    public static func topics(candlesOf symbols: [String], timeframe: Timeframe, tickers: Bool) -> [String] {
        guard let type = KuCoinCandleType.name(timeframe) else { return [] }
        return symbols.map { "/contractMarket/limitCandle:\($0)_\(type)" }
            + (tickers ? symbols.map { "/contractMarket/tickerV2:\($0)" } : [])
    }

    /// How many times a connection was made again after a break.
    public var reconnects: Int { counts.withLock { $0.reconnects } }

    /// How many bullets (REST requests) the connections asked for.
    public var bulletsRequested: Int { counts.withLock { $0.bullets } }

    /// Runs every connection until the task is cancelled, handing each event to `deliver` in the order its
    /// connection received it.
    public func run(_ deliver: @escaping @Sendable (KuCoinStreamEvent) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var started = Set<Int>()
            for index in 0..<connections {
                started.insert(index)
                group.addTask { await self.keepConnected(index, deliver) }
            }
            // Ends when the task is cancelled. A connection added before the run began is already started.
            for await index in added.stream where started.insert(index).inserted {
                group.addTask { await self.keepConnected(index, deliver) }
            }
            group.cancelAll()
        }
    }

    private func keepConnected(_ index: Int, _ deliver: @escaping @Sendable (KuCoinStreamEvent) async -> Void) async {
        let connection = KuCoinStreamConnection(topics: { [self] in wanted.withLock { $0[index] } },
                                                settings: settings.connection, logger: logger)
        let backoff = KuCoinStreamConnection.Backoff(first: settings.firstBackoff, longest: settings.longestBackoff)
        await connection.keepRunning(backoff: backoff, bullet: { [self] in
            counts.withLock { $0.bullets += 1 }
            return try await client.send(.publicBullet, priority: .marketData, as: KuCoinBullet.self)
        }, signal: { signal, reconnected in
            switch signal {
            case .subscribed(let topics):
                await deliver(.connected(connection: index, topics: topics, reconnected: reconnected))
            case .frame(.candle(let symbol, let timeframe, let candle)):
                await deliver(.candle(symbol: symbol, timeframe: timeframe, candle: candle))
            case .frame(.ticker(let symbol, let bid, let ask, let nanoseconds)):
                guard bid > 0, ask >= bid, ask.isFinite else { return }
                await deliver(.price(symbol: symbol, price: (bid + ask) / 2, nanoseconds: nanoseconds))
            case .frame:
                break
            }
        }, broke: { [self] error in
            logger.warning("WebSocket connection lost", metadata: ["connection": "\(index)", "reason": "\(error)"])
            await deliver(.disconnected(connection: index, reason: "\(error)"))
            counts.withLock { $0.reconnects += 1 }
            // Market data needs no key: every failure is worth another attempt.
            return true
        })
    }
}
