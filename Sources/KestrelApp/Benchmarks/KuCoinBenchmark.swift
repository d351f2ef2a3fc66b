import Foundation
import KestrelCore
import KestrelKuCoin
import KestrelKuCoinFake
import KestrelRuntime
import Logging
import Synchronization

/// KuCoin's market streamed from a fake of the venue on loopback (real HTTP and WebSocket, the documentation's
/// payloads, KuCoin's rate headers): what the live adapter costs once it runs.
///
/// - Latency: rounds of one closing candle pushed for every symbol, all at once, then rounds of closes pushed one at
///   a time (as KuCoin sends them: each at the symbol's first trade of the new hour); each close is timed from the
///   moment its frame is read off the socket to the publication of the first snapshot whose scan saw it. The scan is
///   the scanner service's: woken by the closes, `MarketScanner` on the live market, the board's `publish`.
/// - Requests per scan, counted on the client over those rounds (bullets for reconnects apart).
/// - Reconnect: from every connection dropped by the fake to each one subscribed again, at KuCoin's pacing.
/// - Memory: resident size of this process (the fake's candles in it) while the stream carries a candle and a price
///   for every symbol every second of market time, as fast as the loopback takes them.
///
/// The fake is part of the benchmarks only: no trading command reaches it.
struct KuCoinBenchmark {
    /// Symbols of the latency, requests and reconnect measurements.
    var symbols: Int
    /// Symbols of the memory measurement.
    var memorySymbols: Int
    /// Minutes of market time pushed in the memory measurement.
    var pushMinutes: Int
    var rounds = 30
    /// Rounds whose closes come one at a time.
    var spreadRounds = 5
    var drops = 5

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let hour: Int64 = 3_600
    /// The hour the benchmark's market is at: an arbitrary one, fixed so that runs compare.
    static let firstHour = Timestamp(seconds: 1_764_000_000 / hour * hour)

    func run() async throws -> [Benchmarks.Measurement] {
        // Memory first, before the other measurements leave their pages behind.
        let memory = try await measureMemory()
        return try await measureLatencyRequestsAndReconnects() + [memory]
    }

    // MARK: Latency, requests, reconnects

    private func measureLatencyRequestsAndReconnects() async throws -> [Benchmarks.Measurement] {
        let time = SimulatedTime(Self.firstHour + 60)
        // KuCoin's quota (2000 per 30 s): the warm-up's figures are those of the real venue's budget.
        let fake = FakeKuCoin(market: Self.market(symbols), clock: { time.milliseconds })
        return try await fake.serve { url in
            try await Session.with(url) { session in
                let started = ContinuousClock.now
                let live = try await session.warmUp(at: time.now)
                let warmUpSeconds = (ContinuousClock.now - started).totalSeconds
                let warmUpRequests = session.client.requests.total
                let feed = Feed(live: live, time: time)
                let stream = session.stream(of: live)
                let streaming = Task { await stream.run(feed.receive) }
                defer { streaming.cancel() }
                try await feed.waitUntil("every topic subscribed") { $0.connected >= stream.connections }
                let scanning = Task { await feed.scanOnEveryClose(strategy: DefaultStrategy(), logger: session.logger) }
                defer { scanning.cancel() }

                // Steady state: a closing candle for every symbol, round after round.
                let requestsBefore = session.client.requests.total - stream.bulletsRequested
                let symbols = live.symbols
                for round in 0...Int64(rounds) {
                    let opening = Self.firstHour + round * Self.hour
                    time.set(opening + 1)
                    for (index, symbol) in symbols.enumerated() {
                        fake.pushCandle(symbol, type: "1hour", Self.row(opening, index: index, step: round))
                    }
                    // Round 0 opens the first streamed candle; each next one closes the one before.
                    let closes = Int(round) * symbols.count
                    try await feed.waitUntil("closes of round \(round) scanned") { $0.covered >= closes }
                }
                let latencies = feed.latencies.sorted()
                let scanSeconds = feed.state.withLock { $0.scanSeconds }.sorted()

                // Closes one at a time, as KuCoin sends them: each symbol's next candle is pushed at its first trade
                // of the new hour, so the closes of an hour are spread over seconds, not one burst.
                feed.state.withLock { $0.latencies.removeAll() }
                var covered = feed.state.withLock { $0.covered }
                for round in Int64(rounds + 1)...Int64(rounds + spreadRounds) {
                    let opening = Self.firstHour + round * Self.hour
                    time.set(opening + 1)
                    for (index, symbol) in symbols.enumerated() {
                        fake.pushCandle(symbol, type: "1hour", Self.row(opening, index: index, step: round))
                        covered += 1
                        let expected = covered
                        try await feed.waitForScans(covering: expected, of: symbol)
                    }
                }
                let spread = feed.latencies.sorted()
                let scans = feed.scans
                let requests = session.client.requests.total - stream.bulletsRequested - requestsBefore

                // A scan with nothing arriving: no frame to read, no candle new.
                let quietScanner = MarketScanner(source: live, strategy: DefaultStrategy(), logger: session.logger)
                var quiet = [Double]()
                for _ in 0..<50 {
                    let begun = ContinuousClock.now
                    _ = try await quietScanner.scan(at: time.now)
                    quiet.append((ContinuousClock.now - begun).totalSeconds)
                }
                quiet.sort()

                // Reconnects: every connection dropped, then back and subscribed.
                var reconnects = [Double]()
                for _ in 0..<drops {
                    let before = feed.state.withLock { $0.connected }
                    let dropped = ContinuousClock.now
                    fake.dropConnections()
                    try await feed.waitUntil("every connection back") { $0.connected >= before + stream.connections }
                    let back = feed.state.withLock { $0.lastConnected } ?? ContinuousClock.now
                    reconnects.append((back - dropped).milliseconds)
                }
                // Stopped and awaited before the fake stops: its server waits for connections still open.
                scanning.cancel()
                streaming.cancel()
                await scanning.value
                await streaming.value
                let reconnect = Benchmarks.bestAndMedian(reconnects)
                let p50 = percentile(latencies, 0.50) * 1_000
                let p99 = percentile(latencies, 0.99) * 1_000
                let topics = stream.topics.count
                return [
                    .init(name: "KuCoin warm-up, \(symbols.count) symbols", unit: "s", best: warmUpSeconds,
                          median: warmUpSeconds, target: "-",
                          note: "\(warmUpRequests) requests (listing, 1h, 4h, 1d each) within 2000 per 30 s"),
                    .init(name: "KuCoin REST requests per scan, \(symbols.count) symbols streamed", unit: "req",
                          best: Double(requests) / Double(max(scans, 1)),
                          median: Double(requests) / Double(max(scans, 1)), target: "0",
                          note: "\(requests) requests over \(scans) scans of \(rounds) streamed hours"),
                    .init(name: "KuCoin candle close to snapshot, one at a time, \(symbols.count) symbols, p50",
                          unit: "ms", best: percentile(spread, 0.5) * 1_000,
                          median: percentile(spread, 0.5) * 1_000, target: "-",
                          note: "\(spread.count) closes, each scanned before the next is pushed"),
                    .init(name: "KuCoin candle close to snapshot, one at a time, \(symbols.count) symbols, p99",
                          unit: "ms", best: percentile(spread, 0.99) * 1_000,
                          median: percentile(spread, 0.99) * 1_000, target: "< 1 ms",
                          note: String(format: "max %.3f ms", (spread.last ?? 0) * 1_000)),
                    .init(name: "KuCoin candle close to snapshot, all at once, \(symbols.count) symbols, p50",
                          unit: "ms", best: p50, median: p50, target: "-",
                          note: "\(latencies.count) closes, an hour's in one burst: socket read to snapshot published"),
                    .init(name: "KuCoin candle close to snapshot, all at once, \(symbols.count) symbols, p99",
                          unit: "ms",
                          best: p99, median: p99, target: "-",
                          note: String(format: "max %.3f ms; %d scans, each %.3f ms p50, %.3f ms p99; with no frame "
                                           + "arriving %.3f ms p50", (latencies.last ?? 0) * 1_000, scans,
                                       percentile(scanSeconds, 0.5) * 1_000,
                                       percentile(scanSeconds, 0.99) * 1_000,
                                       percentile(quiet, 0.5) * 1_000)),
                    .init(name: "KuCoin reconnect, dropped to resubscribed", unit: "ms", best: reconnect.best,
                          median: reconnect.median, target: "< 2000 ms",
                          note: "\(drops) drops of \(stream.connections) connections, \(topics) topics"),
                ]
            }
        }
    }

    // MARK: Memory

    private func measureMemory() async throws -> Benchmarks.Measurement {
        let time = SimulatedTime(Self.firstHour + 60)
        // A quota the size of the warm-up, which is not what is measured here: the pushes are.
        let fake = FakeKuCoin(market: Self.market(memorySymbols), quota: 1_000_000,
                              clock: { time.milliseconds })
        return try await fake.serve { url in
            try await Session.with(url) { session in
                let live = try await session.warmUp(at: time.now)
                let feed = Feed(live: live, time: time)
                let stream = session.stream(of: live)
                let streaming = Task { await stream.run(feed.receive) }
                defer { streaming.cancel() }
                try await feed.waitUntil("every topic subscribed") { $0.connected >= stream.connections }
                let symbols = live.symbols
                var samples = [ProcessMemory.residentMegabytes ?? 0]
                let seconds = Int64(pushMinutes) * 60
                for second in 1...max(1, seconds) {
                    let now = Self.firstHour + 60 + second
                    time.set(now)
                    let opening = Timestamp(seconds: now.seconds / Self.hour * Self.hour)
                    for (index, symbol) in symbols.enumerated() {
                        let row = Self.row(opening, index: index, step: second)
                        fake.pushCandle(symbol, type: "1hour", row)
                        fake.pushTicker(symbol, bid: row.close * 0.9999, ask: row.close * 1.0001)
                    }
                    // One second of pushes in flight at most: the fake's queues stay small, and what is measured
                    // is the client's memory, not a backlog.
                    let delivered = Int(second - 1) * symbols.count * 2
                    try await feed.waitUntil("pushes of second \(second) read") { $0.pushes >= delivered }
                    if second % 600 == 0 { samples.append(ProcessMemory.residentMegabytes ?? 0) }
                }
                samples.append(ProcessMemory.residentMegabytes ?? 0)
                streaming.cancel()
                await streaming.value
                let pushes = feed.state.withLock { $0.pushes }
                let shown = samples.map { String(format: "%.0f", $0) }.joined(separator: ", ")
                return .init(name: "KuCoin stream resident memory, \(symbols.count) symbols", unit: "MB",
                             best: samples.max() ?? 0, median: samples.last ?? 0, target: "< 100 MB, flat",
                             note: "\(pushMinutes) min of pushes (\(pushes)); MB every 10 min: \(shown); "
                                 + "the fake's candles included")
            }
        }
    }

    // MARK: Support

    /// A synthetic market ending at `firstHour`, with the history the default strategy's warm-up asks for.
    static func market(_ symbols: Int) -> FakeMarket {
        let hours = 24 * 32
        return .synthetic(symbols: symbols, start: (firstHour.seconds - Int64(hours) * hour) * 1_000, hours: hours)
    }

    /// A candle that starts at `opening`, moving a little with `step`.
    static func row(_ opening: Timestamp, index: Int, step: Int64) -> FakeMarket.Row {
        let price = (1.0 + Double(index % 97)) * (1 + 0.01 * sin(Double(step + Int64(index)) / 7))
        return FakeMarket.Row(time: opening.seconds * 1_000, open: price * 0.998, high: price * 1.004,
                              low: price * 0.995, close: price, volume: 1_000 + Double(step % 50))
    }

    /// A REST client of the fake and a live market loaded through it.
    struct Session {
        let client: KuCoinRESTClient
        let logger: Logger

        static func with<T: Sendable>(_ url: String, _ body: (Session) async throws -> T) async throws -> T {
            var logger = Logger(label: "kestrel.bench.kucoin")
            logger.logLevel = .error
            return try await KuCoinRESTClient(configuration: .init(baseURL: url), logger: logger).using { client in
                try await body(Session(client: client, logger: logger))
            }
        }

        /// The stream of every symbol `live` holds: hourly candles and best bid and ask.
        func stream(of live: KuCoinLiveMarket) -> KuCoinPublicStream {
            KuCoinPublicStream(
                client: client,
                topics: KuCoinPublicStream.topics(candlesOf: live.symbols, timeframe: live.base, tickers: true),
                logger: logger)
        }

        func warmUp(at time: Timestamp) async throws -> KuCoinLiveMarket {
            let live = KuCoinLiveMarket(rest: KuCoinMarketData(client: client, logger: logger),
                                        requirements: DefaultStrategy().requirements, logger: logger)
            // Every symbol: the benchmark sizes the universe itself.
            let loaded = try await live.warmUp(at: time, select: { $0 })
            guard !loaded.isEmpty else { throw Failure(description: "the fake's market did not load") }
            return live
        }
    }
}

/// The market time the fake, the live market and the scans share; the benchmark moves it.
final class SimulatedTime: Sendable {
    private let seconds: Mutex<Int64>

    init(_ time: Timestamp) { seconds = Mutex(time.seconds) }

    var now: Timestamp { Timestamp(seconds: seconds.withLock { $0 }) }
    var milliseconds: Int64 { seconds.withLock { $0 } * 1_000 }
    func set(_ time: Timestamp) { seconds.withLock { $0 = time.seconds } }
}

/// What the benchmark's stream does with KuCoin's events, as the run's feed does: candles into the live market, the
/// scanner woken by closes; and the counts and timings the measurements read.
final class Feed: Sendable {
    struct State {
        var connected = 0
        var lastConnected: ContinuousClock.Instant?
        var pushes = 0
        /// When each applied close was read, until a scan sees it.
        var pending: [ContinuousClock.Instant] = []
        /// Seconds from a close read to the snapshot that saw it.
        var latencies: [Double] = []
        var covered = 0
        var scans = 0
        /// Seconds each scan took, from its start to its snapshot published.
        var scanSeconds: [Double] = []
    }

    let live: KuCoinLiveMarket
    let time: SimulatedTime
    let trigger = ScanTrigger()
    /// Rung after every snapshot published.
    let snapshotPublished = ScanTrigger()
    let state = Mutex(State())

    init(live: KuCoinLiveMarket, time: SimulatedTime) {
        self.live = live
        self.time = time
    }

    var scans: Int { state.withLock { $0.scans } }
    var latencies: [Double] { state.withLock { $0.latencies } }

    @Sendable func receive(_ event: KuCoinStreamEvent) async {
        switch event {
        case .candle:
            let read = ContinuousClock.now
            let closed = live.apply(event, now: time.now)
            state.withLock { state in
                state.pushes += 1
                // Listed once applied: a scan that starts after this sees the close.
                if !closed.isEmpty { state.pending.append(read) }
            }
            if !closed.isEmpty { trigger.ring() }
        case .price:
            live.apply(event)
            state.withLock { $0.pushes += 1 }
        case .connected:
            state.withLock { state in
                state.connected += 1
                state.lastConnected = ContinuousClock.now
            }
        case .disconnected:
            break
        }
    }

    /// The scanner service's loop: woken by closes, a scan of the live market, the snapshot published.
    func scanOnEveryClose(strategy: DefaultStrategy, logger: Logger) async {
        let scanner = MarketScanner(source: live, strategy: strategy, logger: logger)
        let board = OpportunityBoard()
        while !Task.isCancelled {
            await trigger.wait()
            let started = ContinuousClock.now
            let seen = state.withLock { state in state.pending.prefix { $0 < started }.count }
            guard let result = try? await scanner.scan(at: time.now) else { continue }
            _ = board.publish(result.opportunities, scanStarted: time.now, scanFinished: time.now)
            let published = ContinuousClock.now
            state.withLock { state in
                state.scans += 1
                state.scanSeconds.append((published - started).totalSeconds)
                state.latencies += state.pending.prefix(seen).map { (published - $0).totalSeconds }
                state.pending.removeFirst(seen)
                state.covered += seen
            }
            snapshotPublished.ring()
        }
    }

    /// Waits, without polling, until scans have seen `expected` closes; for two minutes at most.
    func waitForScans(covering expected: Int, of symbol: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while state.withLock({ $0.covered }) < expected {
            guard ContinuousClock.now < deadline else {
                throw KuCoinBenchmark.Failure(
                    description: "the KuCoin benchmark timed out waiting for \(symbol)'s close")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.snapshotPublished.wait() }
                group.addTask { try await Task.sleep(for: .seconds(1)) }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
        }
    }

    /// Waits until `condition` holds, for two minutes at most, looking every `poll`.
    func waitUntil(_ what: String, poll: Duration = .milliseconds(2), _ condition: (State) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !state.withLock({ condition($0) }) {
            guard ContinuousClock.now < deadline else {
                throw KuCoinBenchmark.Failure(description: "the KuCoin benchmark timed out waiting for \(what)")
            }
            try await Task.sleep(for: poll)
        }
    }
}
