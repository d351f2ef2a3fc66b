import Foundation
import KestrelCore
import KestrelKuCoin
import KestrelKuCoinFake
import KestrelRuntime
import KestrelStorage
import Logging
import Synchronization

/// Kestrel trading a KuCoin account on the fake of the venue (loopback, signed requests, the private stream), wired
/// as `kestrel run --exchange kucoin --live` wires it: the desk, the order router, the KuCoin venue.
///
/// - Order path: from a new snapshot handed to the desk to the entry order's bytes leaving Kestrel's socket (the
///   intent journaled on the way, as in a run), each on a symbol whose margin mode the venue already knows (the desk
///   has it read when a symbol first ranks at the top of a scan). Each position is protected and closed before the
///   next entry, as in a run holding a few positions. The requests go through `SocketDepartureProxy`, whose socket
///   the kernel stamps as the bytes arrive, which on loopback is as they leave. The time to the fake's handler
///   (the proxy's hop, the server's wake-up and its HTTP parsing on top) is given beside it.
/// - Requests per hour: three positions open, trailing their stops on the exchange through an hour of market time
///   whose prices climb (every stop move is a new stop placed and the old one cancelled), the monitor ticking every
///   second and reconciliation every 300 s, as the run's services do. Counted on the client, weighed by KuCoin's
///   weights, against the account's pool (2000 per 30 s).
struct KuCoinTradingBenchmark {
    /// Entries timed: each costs its entry, stop, exit and the stop's cancel, about 8 of the account's 2000 weight
    /// per 30 s, so that the rounds stay within KuCoin's budget.
    var entries = 100
    /// Market seconds of trailing.
    var trailingSeconds: Int64 = 3_600

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws -> [Benchmarks.Measurement] {
        try await measureOrderPath() + measureTrailingRequests()
    }

    // MARK: Order path

    private func measureOrderPath() async throws -> [Benchmarks.Measurement] {
        let fake = Self.fake(symbols: Self.pathSymbols)
        return try await fake.serve { url in
            guard let port = URL(string: url)?.port else { throw Failure(description: "the fake's address: \(url)") }
            let proxy = try SocketDepartureProxy(forwardingTo: port)
            defer { proxy.stop() }
            return try await Rig.with("http://127.0.0.1:\(proxy.port)", fake: fake, maxOpenPositions: 3) { rig in
                let symbols = rig.instruments.map(\.symbol).sorted()
                // As the desk does when a symbol first ranks at the top of a scan.
                await rig.venue.prepare(toEnter: symbols)
                var latencies = [Double]()
                var atHandler = [Double]()
                var skipped = 0
                for round in 0..<entries {
                    let symbol = symbols[round % symbols.count]
                    // Entries come seconds apart in a run: what the last one set going (the fake's pushes, the
                    // journal's commits) is over before the next is timed.
                    try await Task.sleep(for: .milliseconds(20))
                    let time = rig.time.advance(by: 1)
                    let ordersBefore = fake.received.filter(Self.isOrderPlacement).count
                    await rig.desk.price(symbol, rig.price(of: symbol), at: time)
                    let departuresBefore = proxy.recorded.count
                    let started = ContinuousClock.now
                    let startedWall = SocketDepartureProxy.wallNanoseconds()
                    await rig.desk.process(rig.snapshot(of: symbol, at: time), at: time)
                    let deadline = ContinuousClock.now + .seconds(5)
                    var arrived: ContinuousClock.Instant?
                    while arrived == nil, ContinuousClock.now < deadline {
                        let placements = fake.received.filter(Self.isOrderPlacement)
                        if placements.count > ordersBefore { arrived = placements[ordersBefore].at }
                        else { try await Task.sleep(for: .milliseconds(1)) }
                    }
                    guard let arrived, let departed = proxy.recorded.dropFirst(departuresBefore)
                        .first(where: { $0.requestLine.hasPrefix("POST /api/v1/orders ") }) else {
                        skipped += 1
                        continue
                    }
                    latencies.append(Double(departed.nanoseconds - startedWall) / 1e6)
                    atHandler.append((arrived - started).milliseconds)
                    // The position's whole life before the next entry, so that each is timed as a run with few
                    // positions times it, with nothing of the one before still being written or sent: its stop
                    // resting on the fake, then closed at market and flat.
                    try await rig.waitUntil("\(symbol) protected") { status in
                        status.positions.contains { $0.symbol == symbol && $0.stopState == .acknowledged }
                    }
                    await rig.desk.control(.close(symbol: symbol), source: "bench", at: rig.time.advance(by: 1))
                    try await rig.waitUntil("\(symbol) closed") { status in
                        !status.positions.contains { $0.symbol == symbol } && status.ordersInFlight == 0
                    }
                    await rig.settle()
                }
                guard !latencies.isEmpty else { throw Failure(description: "no entry reached the fake") }
                latencies.sort()
                atHandler.sort()
                let p50 = percentile(latencies, 0.5)
                let p99 = percentile(latencies, 0.99)
                let note = "\(latencies.count) entries 20 ms apart, each opened, protected and closed before the next"
                    + (skipped > 0 ? ", \(skipped) not entered" : "") + String(format: "; max %.3f ms", latencies.last ?? 0)
                let handlerNote = String(format: "desk, engine, intent journaled, router, signing, the socket; to the "
                    + "fake's handler p50 %.3f, p99 %.3f ms", percentile(atHandler, 0.5),
                    percentile(atHandler, 0.99))
                return [
                    .init(name: "KuCoin order path: snapshot to the entry leaving the socket, p50", unit: "ms", best: p50,
                          median: p50, target: "-", note: note),
                    .init(name: "KuCoin order path: snapshot to the entry leaving the socket, p99", unit: "ms", best: p99,
                          median: p99, target: "< 1 ms", note: handlerNote),
                ]
            }
        }
    }

    /// Symbols the order path cycles through.
    static let pathSymbols = 10

    static func isOrderPlacement(_ request: FakeKuCoin.Received) -> Bool {
        request.method == "POST" && request.path == "/api/v1/orders"
    }

    // MARK: Requests per hour while trailing

    private func measureTrailingRequests() async throws -> [Benchmarks.Measurement] {
        let fake = Self.fake(symbols: 3)
        return try await fake.serve { url in
            try await Rig.with(url, fake: fake, maxOpenPositions: 3) { rig in
                let symbols = rig.instruments.map(\.symbol).sorted()
                await rig.venue.prepare(toEnter: symbols)
                for symbol in symbols {
                    let time = rig.time.advance(by: 1)
                    await rig.desk.price(symbol, rig.price(of: symbol), at: time)
                    await rig.desk.process(rig.snapshot(of: symbol, at: time), at: time)
                    await rig.settle()
                }
                try await rig.waitUntil("three positions protected by stops on the fake") { status in
                    status.positions.count == 3 && status.positions.allSatisfy { $0.stopState == .acknowledged }
                }
                await rig.desk.reconcile(at: rig.time.now)
                let before = rig.client.requests
                let movesBefore = await rig.desk.engine.statistics.stopsReplaced
                var generator = SeededNoise(seed: 7)
                var prices = Dictionary(uniqueKeysWithValues: symbols.map { ($0, rig.price(of: $0)) })
                let begun = rig.time.now
                for second in 1...trailingSeconds {
                    let time = rig.time.advance(by: 1)
                    for symbol in symbols {
                        // A climb of about 3% an hour, with 0.01% of noise a second: the stops trail it, and no
                        // position reaches its stop or the profit lock's exit.
                        let step = 0.03 / 3_600 + 0.0001 * generator.normal()
                        let price = (prices[symbol] ?? 0) * (1 + step)
                        prices[symbol] = price
                        fake.setPrice(symbol, price)
                        await rig.desk.price(symbol, price, at: time)
                    }
                    await rig.desk.tick(at: time)
                    if second % 300 == 0 { await rig.desk.reconcile(at: time, mayBeSkipped: true) }
                    await rig.settle()
                }
                let after = rig.client.requests
                let moves = await rig.desk.engine.statistics.stopsReplaced - movesBefore
                let status = rig.desk.statusBoard.status
                guard status.positions.count == 3 else {
                    let closed = await rig.desk.engine.statistics.closedTrades
                        .map { "\($0.symbol) \($0.reason) at \($0.closedAt - begun) s \($0.entryPrice) -> \($0.exitPrice) \($0.lots)" }
                    throw Failure(description: "a trailing position closed during the hour: \(closed)")
                }
                let hours = Double(rig.time.now - begun) / 3_600
                var requests = 0, weight = 0
                var byEndpoint = [String: Int]()
                for (endpoint, count) in after.byEndpoint {
                    let sent = count - (before.byEndpoint[endpoint] ?? 0)
                    guard sent > 0 else { continue }
                    requests += sent
                    weight += sent * ((KuCoinEndpoint.all.first { $0.description == endpoint }?.weight ?? 1))
                    byEndpoint[endpoint] = sent
                }
                let budget = 2_000.0 * 120
                let perHour = Double(requests) / hours, weightPerHour = Double(weight) / hours
                let busiest = byEndpoint.sorted { $0.value > $1.value }.prefix(4)
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                return [
                    .init(name: "KuCoin requests per hour, 3 positions trailing", unit: "req", best: perHour,
                          median: perHour, target: "-",
                          note: "\(moves) stop moves, reconciliation every 300 s; \(busiest)"),
                    .init(name: "KuCoin request weight per hour, 3 positions trailing", unit: "weight",
                          best: weightPerHour, median: weightPerHour,
                          target: "< \(Int(budget / 10))",
                          note: String(format: "%.1f%% of the account's pool (2000 per 30 s = %.0f an hour)",
                                       weightPerHour / budget * 100, budget)),
                ]
            }
        }
    }

    /// The fake's market (its clock the wall clock: signatures are checked against it) with a wallet large enough
    /// for every entry.
    static func fake(symbols: Int) -> FakeKuCoin {
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let fake = FakeKuCoin(market: .synthetic(symbols: symbols, start: now - 300 * 3_600_000, hours: 301))
        fake.updateAccount { $0.walletBalance = 10_000_000 }
        return fake
    }
}

/// The live run's wiring over a fake account: the REST client, the signed API, the KuCoin venue with its private
/// stream, the engine's desk and the order router, and the loops that carry answers and events to the desk.
private struct Rig: Sendable {
    let client: KuCoinRESTClient
    let venue: KuCoinVenue
    let desk: TradingDesk
    let instruments: [Instrument]
    let fake: FakeKuCoin
    let time: SimulatedTime

    static func with<T: Sendable>(_ url: String, fake: FakeKuCoin, maxOpenPositions: Int,
                                  _ body: (Rig) async throws -> T) async throws -> T {
        let logger = Logger(label: "kestrel.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        return try await KuCoinRESTClient(configuration: .init(baseURL: url), logger: logger).using { client in
            let clock = KuCoinServerClock(client: client)
            _ = try await clock.synchronise()
            let key = FakeAccount.testKey
            let api = KuCoinPrivateAPI(client: client, credentials: KuCoinCredentials(
                key: key.key, secret: key.secret, passphrase: key.passphrase), clock: clock, logger: logger)
            let market = KuCoinMarketData(client: client, logger: logger)
            let listing = try await market.listing()
            let venue = KuCoinVenue(api: api, market: market, instruments: listing.instruments, fees: listing.fees,
                                    logger: logger)
            let time = SimulatedTime(Timestamp(seconds: Int64(Date().timeIntervalSince1970)))
            let settings = EngineSettings(risk: RiskSettings(maxOpenPositions: maxOpenPositions, leverage: 3, riskPerTrade: 0.001,
                                                             maxPositionSize: 0.05, symbolCooldownSeconds: 0),
                                          partialTakeProfits: [], stopAmendIntervalSeconds: 5)
            let signals = BenchSignals(fake: fake, time: time)
            let engine = TradingEngine(settings: settings, instruments: listing.instruments, startingCash: 10_000_000,
                                       revalidator: signals, startTime: time.now,
                                       runID: RunID(startedAt: time.now, entropy: 1))
            let router = OrderRouter(venue: venue)
            // A journal as the run's: each order's intent is written before it is sent.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-bench-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let journal = try SQLiteJournal(path: directory.appendingPathComponent("bench.sqlite").path,
                                            logsIntents: true)
            let desk = TradingDesk(engine: engine, venue: venue, router: router, recorder: RunRecorder(),
                                   logger: logger, journal: journal, mode: "live")
            let stream = Task { await venue.runStream() }
            let routing = Task { await router.run() }
            let answers = Task(priority: .high) {
                for await answer in router.answers { await desk.answered(answer, at: time.now) }
            }
            let events = Task(priority: .high) {
                for await event in venue.events { await desk.heard(event, at: time.now) }
            }
            let rig = Rig(client: client, venue: venue, desk: desk, instruments: listing.instruments, fake: fake,
                          time: time)
            defer {
                stream.cancel()
                routing.cancel()
                answers.cancel()
                events.cancel()
            }
            try await rig.waitUntil("the private stream to connect") { $0.connected }
            while !fake.subscribedTopics.contains("/contractMarket/tradeOrders") {
                try await Task.sleep(for: .milliseconds(5))
            }
            await desk.reconcile(at: time.now)
            let result = try await body(rig)
            router.cancel()
            await venue.close()
            stream.cancel()
            await stream.value
            return result
        }
    }

    func price(of symbol: String) -> Double {
        fake.trading.prices[symbol] ?? fake.market.contracts.first { $0.symbol == symbol }?.lastTradePrice ?? 0
    }

    /// A scan's snapshot whose one opportunity is a buy on `symbol` at the fake's price.
    func snapshot(of symbol: String, at time: Timestamp) -> ScanSnapshot {
        let instrument = instruments.first { $0.symbol == symbol }!
        let price = self.price(of: symbol)
        let signal = BenchSignals.signal(symbol, price: price, at: time)
        return ScanSnapshot(sequence: Int(time.seconds), opportunities: [
            Opportunity(result: signal, price: price, dataTime: time, instrument: instrument),
        ], scanStarted: time, scanFinished: time)
    }

    /// Until every order sent has its answer.
    func settle() async { await desk.untilAnswered() }

    func waitUntil(_ what: String, _ condition: (DeskStatus) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !condition(desk.statusBoard.status) {
            guard ContinuousClock.now < deadline else {
                let status = desk.statusBoard.status
                throw KuCoinTradingBenchmark.Failure(description: "waited 20 s for \(what): positions "
                    + status.positions.map { "\($0.symbol) \($0.lots) stop \($0.stopState)" }.joined(separator: ", ")
                    + "; \(status.ordersInFlight) order(s) in flight")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// The benchmark's signals: a buy on every symbol at the fake's price, so that each snapshot's opportunity is
/// confirmed when the engine re-validates it.
private struct BenchSignals: SignalRevalidator {
    let fake: FakeKuCoin
    let time: SimulatedTime

    static func signal(_ symbol: String, price: Double, at time: Timestamp) -> SignalResult {
        SignalResult(symbol: symbol, dataTime: time, signal: .buy, confidence: 0.8, score: 60, regime: .neutral,
                     price: price, bbWidth: 0.04, atr: price * 0.01, momentum: 0.01, rsi: 55, trendGap: 0.02,
                     reasons: [])
    }

    func revalidate(symbol: String, at time: Timestamp) -> SignalResult? {
        let price = fake.trading.prices[symbol] ?? fake.market.contracts.first { $0.symbol == symbol }?.lastTradePrice
        return price.map { Self.signal(symbol, price: $0, at: time) }
    }
}

extension SimulatedTime {
    /// Moves the time on by `seconds` and returns it.
    func advance(by seconds: Int64) -> Timestamp {
        let next = now + seconds
        set(next)
        return next
    }
}

/// Repeatable noise for the benchmark's prices (SplitMix64), so that runs compare.
private struct SeededNoise {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal draw (Box-Muller).
    mutating func normal() -> Double {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
