import Clocks
import KestrelCore
import KestrelRuntime
import Logging
import Synchronization

let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!

/// Tests check behaviour, not log lines: their loggers discard everything.
func quietLogger(_ label: String) -> Logger { Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() }) }

/// Waits (in real time, briefly) until `condition` holds; false if it never does within two seconds.
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<2000 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}

/// Every symbol is a BUY, scored by its position in the universe (first is best).
struct EverythingBuys: Strategy {
    let name = "everything-buys"
    let primary = TimeframeRequirement(timeframe: .oneHour, history: 5, minimum: 1)
    let confirmations: [TimeframeRequirement] = []

    func evaluate(_ view: SymbolView, context: StrategyContext) -> SignalResult {
        let score = 100 - Double(Int(view.symbol.prefix(1).unicodeScalars.first!.value) - 65)
        return SignalResult(symbol: view.symbol, dataTime: view.primary.indicators.time, signal: .buy, confidence: 0.8,
                            score: score, regime: .neutral, price: view.primary.indicators.close, bbWidth: 0.04,
                            atr: 1, momentum: 0.01, rsi: 50, trendGap: 0.02, reasons: [.note("test")])
    }
}

/// Confirms every signal as a BUY.
struct ConfirmsBuy: SignalRevalidator {
    func revalidate(symbol: String, at time: Timestamp) -> SignalResult? {
        SignalResult(symbol: symbol, dataTime: time, signal: .buy, confidence: 0.8, score: 50, regime: .neutral,
                     price: 100, bbWidth: 0.04, atr: 1, momentum: 0.01, rsi: 50, trendGap: 0.02, reasons: [])
    }
}

let symbols = ["AAAUSDT", "BBBUSDT", "CCCUSDT"]
let testInstruments = symbols.map {
    Instrument(symbol: $0, base: String($0.prefix(3)), quote: "USDT", contractMultiplier: 0.01, tickSize: 0.01,
               maxLeverage: 50, quoteVolume24h: 1e9)
}

/// A market whose scans take as long as the test says, on the test's clock, and can be told to fail.
final class ScriptedSource: MarketDataSource {
    struct Script {
        var scans = 0
        /// How long each scan takes, by scan number (1-based); missing means instant.
        var durations: [Int: Duration] = [:]
        var failing: Set<Int> = []
        var scansInProgress = 0
        var cancelledScans = 0
    }

    let clock: TestClock<Duration>
    let script: Mutex<Script>

    init(clock: TestClock<Duration>, script: Script = Script()) {
        self.clock = clock
        self.script = Mutex(script)
    }

    struct ScanFailed: Error {}

    func instruments(at time: Timestamp) async throws -> [Instrument] {
        let (number, duration, fails) = script.withLock { s -> (Int, Duration?, Bool) in
            s.scans += 1
            return (s.scans, s.durations[s.scans], s.failing.contains(s.scans))
        }
        if fails { throw ScanFailed() }
        if let duration {
            script.withLock { $0.scansInProgress += 1 }
            defer { script.withLock { $0.scansInProgress -= 1 } }
            do {
                try await clock.sleep(for: duration)
            } catch {
                script.withLock { $0.cancelledScans += 1 }
                throw error
            }
        }
        _ = number
        return testInstruments
    }

    func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws -> [Candle] {
        (0..<limit).map { i in
            let open = time - Int64(limit - i) * timeframe.seconds
            return Candle(time: open, open: 100, high: 101, low: 99, close: 100, volume: 10)
        }
    }
}

/// A price for stress tests: mostly near the scanned 100 (within the drift limit), and at every 50th step far
/// enough to reach a stop or a target.
func stressPrice(step: Int, using random: inout some RandomNumberGenerator) -> Double {
    step % 50 == 49 ? Double.random(in: 85...115, using: &random) : Double.random(in: 99.7...100.3, using: &random)
}

/// Everything a runtime test wires together.
struct Rig {
    let clock = TestClock<Duration>()
    let engineClock: EngineClock<TestClock<Duration>>
    let board = OpportunityBoard()
    let recorder = RunRecorder()
    let desk: TradingDesk
    let venue: PaperVenue
    let source: ScriptedSource
    /// Carries the router's answers and the venue's events to the desk for the life of the rig.
    let plumbing: Task<Void, Never>

    init(maxOpenPositions: Int = 1, script: ScriptedSource.Script = ScriptedSource.Script(),
         revalidator: any SignalRevalidator = ConfirmsBuy(), exchangeInstruments: [Instrument] = testInstruments,
         faults: PaperFaults = PaperFaults()) {
        engineClock = EngineClock(clock: clock, startingAt: t0)
        source = ScriptedSource(clock: clock, script: script)
        let engine = TradingEngine(
            settings: EngineSettings(risk: RiskSettings(maxOpenPositions: maxOpenPositions, symbolCooldownSeconds: 0),
                                     partialTakeProfits: []),
            instruments: testInstruments, startingCash: 10_000, revalidator: revalidator, startTime: t0,
            runID: RunID(startedAt: t0, entropy: 0))
        let exchange = PaperExchange(instruments: exchangeInstruments,
                                     settings: PaperExchangeSettings(slippage: 0, fundingRate: 0))
        let engineClock = self.engineClock
        venue = try! PaperVenue(exchange: exchange, faults: faults, now: { engineClock.now }, logger: quietLogger("venue"))
        let desk = TradingDesk(engine: engine, venue: venue, router: OrderRouter(venue: venue, recorder: recorder), recorder: recorder,
                               logger: quietLogger("test"))
        self.desk = desk
        plumbing = Task(priority: .high) {
            await withDiscardingTaskGroup { group in
                group.addTask { await OrderAnswersService(desk: desk, clock: engineClock).run() }
                group.addTask { await VenueEventsService(desk: desk, clock: engineClock).run() }
            }
        }
    }

    /// `settle()`, and until what the venue reported on its stream has reached the engine: it holds what the venue
    /// holds. Only for a venue whose stream loses nothing.
    func settleFully() async -> Bool {
        await eventually {
            guard await settle() else { return false }
            let held = await venue.exchange.positions
            let positions = await desk.engine.positions
            return positions.count == held.count && positions.values.allSatisfy { held[$0.symbol]?.lots == $0.lots }
        }
    }

    /// Waits until every order sent is answered and the answers have reached the engine (no stop is left
    /// pending).
    func settle() async -> Bool {
        await eventually {
            guard await desk.awaitingAnswer.isEmpty else { return false }
            return await desk.engine.positions.values.allSatisfy { $0.stopState != .pending }
        }
    }

    func scannerService(interval: Int64 = 60, trigger: ScanTrigger? = nil)
        -> ScannerService<EverythingBuys, TestClock<Duration>> {
        ScannerService(scanner: MarketScanner(source: source, strategy: EverythingBuys(),
                                              filter: UniverseFilter(minimumUniverse: 1), top: 5),
                       board: board, clock: engineClock, intervalSeconds: interval, recorder: recorder,
                       trigger: trigger, logger: quietLogger("test.scanner"))
    }

    func traderService() -> TraderService {
        let clock = engineClock
        return TraderService(board: board, desk: desk, now: { clock.now })
    }

    func monitorService(interval: Int64 = 5) -> PositionMonitorService<TestClock<Duration>> {
        PositionMonitorService(desk: desk, clock: engineClock, intervalSeconds: interval)
    }

    /// Prices `symbol` at `price` at the current engine time: the venue hears it first, then the desk.
    func price(_ symbol: String, _ price: Double) async {
        await self.price(symbol, price, at: engineClock.now)
    }

    func price(_ symbol: String, _ price: Double, at time: Timestamp) async {
        await venue.price(symbol, price, at: time)
        await desk.price(symbol, price, at: time)
    }

    /// Advances the test clock one second at a time, letting every service run in between.
    func advance(seconds: Int) async {
        for _ in 0..<seconds {
            await clock.advance(by: .seconds(1))
            try? await Task.sleep(for: .microseconds(200))
        }
    }
}
