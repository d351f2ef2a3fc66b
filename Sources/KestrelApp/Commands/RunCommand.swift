import Synchronization
import ArgumentParser
import Configuration
import Foundation
import KestrelAlerts
import KestrelCore
import KestrelKuCoin
import KestrelMarketData
import KestrelRuntime
import KestrelServer
import KestrelStorage
import Logging
import ServiceLifecycle
import SystemPackage
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Trade: paper trading on the embedded market replay (the default; no network or keys needed), or on KuCoin Futures' live market.",
        discussion: """
        A background scanner ranks the market every CHECK_INTERVAL; the trader acts on each new snapshot at once; \
        the position monitor checks exits on every price and every POSITION_UPDATE_INTERVAL. Settings come from \
        defaults, then a .env file, then the environment, then --set NAME=VALUE and the flags below; \
        `kestrel config` lists them all. Ctrl-C stops gracefully; a second Ctrl-C exits at once. With --exchange kucoin \
        the market is KuCoin Futures' as it is now (its public data, no key needed): the universe and each symbol's \
        history are loaded over REST, then candles and prices stream over WebSocket; fills are the paper venue's.
        """
    )

    @Option(help: "Stop after this much wall-clock time (e.g. 60s, 5m, 1h); default: until the replay ends or Ctrl-C.")
    var duration: String?

    @Option(help: "Replay speed: market seconds per wall-clock second.")
    var speed: Double = 3600

    @Option(help: "Replay every candle file in this directory instead of the embedded market.")
    var data: String?

    @Option(help: "Start the replay at this market time (ISO-8601); default: 2019-07-01 for the embedded market.")
    var from: String?

    @Option(help: "Write the run summary as JSON to this file.")
    var summaryJson: String?

    @Option(help: "The journal (SQLite) to resume from and record to; default: $KESTREL_DB, else the data directory.")
    var db: String?

    @Flag(help: "Start a new run: an existing journal is moved aside (renamed with a timestamp), never deleted.")
    var reset = false

    @Option(help: "A .env file to read settings from (missing is fine).")
    var envFile: String = ".env"

    @Option(name: .customLong("set"), help: "Set any setting, e.g. --set CHECK_INTERVAL=30 (repeatable).")
    var assignments: [String] = []

    @Option(help: "Seconds between scans (CHECK_INTERVAL).")
    var checkInterval: String?

    @Option(help: "Highest leverage (LEVERAGE).")
    var leverage: String?

    @Option(help: "Most positions at once (MAX_OPEN_POSITIONS).")
    var maxOpenPositions: String?

    @Option(help: "Paper account balance (STARTING_BALANCE).")
    var startingBalance: String?

    @Flag(help: "Close open positions when stopping (CLOSE_POSITIONS_ON_SHUTDOWN).")
    var closePositionsOnShutdown = false

    @Option(help: """
        Make the paper venue misbehave (PAPER_FAULTS), e.g. \
        partial=0.5,duplicate=0.1,timeout=0.05,error-after=0.05,seed=7 \
        (also latency=MS, reorder, error-before, reject-stop, drop).
        """)
    var paperFaults: String?

    @Option(help: "Where the HTTP API listens, HOST:PORT or off (HTTP_ADDRESS; default 127.0.0.1:8420).")
    var http: String?

    @Option(help: "The paper venue's own state file; default: the journal's path plus .paper.json.")
    var paperState: String?

    @Flag(help: """
        Trade real money: real orders on the KuCoin Futures account whose key is in KUCOIN_API_KEY, \
        KUCOIN_API_SECRET and KUCOIN_API_PASSPHRASE (with --exchange kucoin).
        """)
    var live = false

    @OptionGroup var exchange: ExchangeOptions

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try OutputFile.check(summaryJson, what: "the summary")
        logging.bootstrap(default: .info)
        let logger = Logger(label: "kestrel")
        guard speed > 0, speed.isFinite, speed <= 1_000_000 else {
            throw ValidationError("--speed must be above 0 and at most 1000000, not \(speed)")
        }
        let wallLimit = try duration.map(Self.parseDuration)
        let settings = try await loadSettings()
        guard !live || exchange.exchange == .kucoin else {
            throw ValidationError("--live trades on an exchange: add --exchange kucoin")
        }
        // The key is checked before anything else is loaded: a wrong one stops the run at once.
        let account = live ? try await LiveAccount.connect(options: exchange, settings: settings, envFile: envFile,
                                                           logger: logger) : nil
        let strategy = DefaultStrategy()
        let market: RunMarket
        do {
            switch exchange.exchange {
            case .embedded:
                market = try RunMarket.replay(data: data, from: from, speed: speed, strategy: strategy)
            case .kucoin:
                guard data == nil, from == nil else {
                    throw ValidationError("--data and --from replay history; --exchange kucoin trades the market as it is now")
                }
                market = try await RunMarket.kucoin(exchange, strategy: strategy, logger: logger)
            }
        } catch {
            await account?.close()
            throw error
        }
        // The market's and the account's connections are closed however the run ends.
        do {
            try await trade(on: market, account: account, settings: settings, strategy: strategy,
                            wallLimit: wallLimit, logger: logger)
        } catch {
            await market.close()
            await account?.close()
            throw error
        }
        await market.close()
        await account?.close()
    }

    /// The run itself, once its market (and a live run's account) is ready: the journal, the engine, the venue, the
    /// services, the shutdown.
    private func trade(on market: RunMarket, account: LiveAccount?, settings: BotSettings, strategy: DefaultStrategy,
                       wallLimit: Duration?, logger: Logger) async throws {
        var settings = settings
        // The grace is engine time, and a replay at 3600x turns one wall millisecond of message passing into 3.6 s:
        // a replay's grace is at least a quarter of a wall second, so the machinery's own latency never counts as a
        // venue that would not acknowledge a stop. A reload keeps to the same floor.
        let replayGrace = Int64((market.speed * 0.25).rounded(.up))
        if settings.raiseStopGrace(toAtLeast: replayGrace) {
            logger.info("🛡️ STOP_GRACE_SECONDS raised to \(replayGrace) s of market time for a \(NumberText.compact(market.speed))x replay")
        }
        let path = db ?? DataDirectory.defaultDatabase(kucoin: exchange.exchange == .kucoin, live: account != nil)
        let paperPath = paperState ?? path + DataDirectory.paperStateSuffix
        if reset {
            try DataDirectory.moveAside(path, logger: logger)
            if paperState != nil { try DataDirectory.moveFileAside(paperPath, logger: logger) }
        }
        // The running bot's journal: intents go to the log beside it first (IntentLog).
        let journal = try SQLiteJournal(path: path, durability: settings.journalDurability, logsIntents: true)
        let saved = try journal.loadState()
        let revalidator = market.revalidator
        let start: Timestamp
        var engine: TradingEngine
        let instruments = market.instruments
        let store = PaperVenueStore(path: paperPath)
        let paperSaved = FileManager.default.fileExists(atPath: paperPath)
        // A new run's orders carry a new run id; a resumed run keeps its own (see `ClientOrderID`).
        let newRunID = RunID(startedAt: Timestamp(seconds: Int64(Date().timeIntervalSince1970)),
                             entropy: UInt64.random(in: 0..<UInt64.max))
        if let saved {
            // Start-up after a crash and after a clean stop take this same path: load, then reconcile below.
            guard from == nil else {
                throw ValidationError("\(path) resumes a run at \(saved.savedAt); use --reset (or another --db) to "
                    + "start at --from")
            }
            if let end = market.end, saved.savedAt >= end {
                throw ValidationError("the run in \(path) has reached the end of the data (\(end)); "
                    + "start a new one with --reset")
            }
            // Without its venue the run cannot go on: an empty paper venue would close every position it holds.
            guard account != nil || paperSaved || saved.exchange != nil else {
                throw ValidationError("the run in \(path) resumes, but the paper venue's state \(paperPath) is "
                    + "missing; start a new run with --reset")
            }
            start = market.resumesWhereSaved ? saved.savedAt : market.start
            engine = TradingEngine(settings: settings.engine, instruments: instruments, revalidator: revalidator,
                                   restoring: saved.engine, closedTrades: saved.closedTrades, newRunID: newRunID)
            let resumed = "♻️ Resuming the run in \(path) at \(start): \(saved.engine.positions.count) open position(s), "
                + "cash \(NumberText.compact(saved.engine.cash)), \(saved.closedTrades.count) closed trade(s)"
            logger.notice("\(resumed)")
        } else {
            if paperSaved, account == nil {
                // The venue's file is written before the journal's first state: a run killed between the two left
                // an untouched venue, which the new run starts afresh. One that traded belongs to another journal.
                let untouched = (try? store.load()).flatMap { $0 }.map(\.isUntouched) ?? false
                guard untouched else {
                    throw ValidationError("\(paperPath) holds a paper venue's state but \(path) no run: move it away, "
                        + "or start with --reset")
                }
                try FileManager.default.removeItem(atPath: paperPath)
            }
            start = market.start
            // A live run starts with the account's wallet; reconciliation keeps the two equal from then on.
            engine = TradingEngine(settings: settings.engine, instruments: instruments,
                                   startingCash: account?.overview.walletBalance ?? settings.startingBalance,
                                   revalidator: revalidator, startTime: start, runID: newRunID)
        }
        engine.reserveOrderNumbers(through: try journal.highestOrderNumber(run: engine.runID))
        engine.remember(tradeIDs: try journal.recentTradeIDs(limit: 2_048))

        let recorder = RunRecorder()
        let board = OpportunityBoard(firstSequence: (saved?.engine.latestSnapshot?.sequence ?? 0) + 1)
        let clock = EngineClock(clock: ReplayClock(speed: market.speed), startingAt: start)
        let venue: any Venue
        let paper: PaperVenue?
        let kucoin: KuCoinVenue?
        if let account {
            let accountVenue = account.venue(instruments: instruments, fees: market.fees, settings: settings)
            (venue, kucoin, paper) = (accountVenue, accountVenue, nil)
            if settings.paperFaults.isActive { logger.warning("🧪 PAPER_FAULTS is ignored: the venue is KuCoin") }
        } else {
            // The paper venue keeps its own file; a journal from before it did hands over the exchange it recorded.
            let paperVenue: PaperVenue
            do {
                paperVenue = try PaperVenue(
                    exchange: saved?.exchange ?? PaperExchange(instruments: instruments, settings: settings.exchange),
                    faults: settings.paperFaults, store: store, now: { clock.now },
                    sleep: { milliseconds in try await clock.sleep(for: .milliseconds(milliseconds)) },
                    logger: Logger(label: "kestrel.paper"))
            } catch {
                throw ValidationError("\(error)")
            }
            (venue, kucoin, paper) = (paperVenue, nil, paperVenue)
            // A live market lists what it lists today: contracts listed since the venue's state was saved are added.
            await paperVenue.list(instruments)
            // Written before the journal holds a run, so that a journal with a run always has its venue beside it.
            if !FileManager.default.fileExists(atPath: paperPath) { await paperVenue.save() }
        }
        // The account's private stream: fills, stops, positions and the wallet as they happen.
        let privateStream = kucoin.map { kucoin in Task { await kucoin.runStream() } }
        for (id, symbol) in try journal.unresolvedIntentOrders() {
            let found = try? await venue.order(id, symbol: symbol)
            try journal.resolveIntent(id, as: found == nil ? "not_placed" : "open",
                                      detail: found == nil ? "never reached the exchange: Kestrel stopped before sending it"
                                          : "found on the exchange after a restart",
                                      at: start)
            logger.warning("♻️ Order \(id) from before the restart \(found == nil ? "never reached" : "reached") the exchange")
        }
        let router = OrderRouter(venue: venue, recorder: recorder)
        let desk = TradingDesk(engine: engine, venue: venue, router: router, recorder: recorder,
                               logger: Logger(label: "kestrel.trader"), journal: journal)
        // What the venue says goes before routine work: the desk's actor takes its highest-priority calls first, so
        // an acknowledgement is not queued behind monitor ticks and prices.
        let answers = Task(priority: .high) { await OrderAnswersService(desk: desk, clock: clock).run() }
        let venueEvents = Task(priority: .high) { await VenueEventsService(desk: desk, clock: clock).run() }
        await desk.reconcile(at: start)
        let scanner = MarketScanner(source: market.source, strategy: strategy, logger: Logger(label: "kestrel.scanner"))

        banner(settings, market: market, account: account, start: start, logger: logger)
        if engine.entriesPaused {
            logger.warning("⏸️ New entries are paused (from an earlier run); open positions are managed. Resume: POST /api/v1/resume")
        }
        logger.notice("💾 Journal: \(path)\(paper != nil ? "; paper venue: \(paperPath)" : "")")
        if settings.paperFaults.isActive { logger.notice("🧪 Paper venue faults: \(settings.paperFaults)") }
        let startingBalance = if let paper { await paper.exchange.settings.startingBalance }
            else { account?.overview.walletBalance ?? settings.startingBalance }
        // First, so that it stops last: the API answers while the bot shuts down.
        let reload = SettingsReload(shown: settings.shown) { [load = settingsSource] in
            var reloaded = try await load()
            _ = reloaded.raiseStopGrace(toAtLeast: replayGrace)
            return reloaded
        }
        let api = settings.httpAddress.map { address in
            APIServer(address: address, token: settings.apiToken, sources: APISources(journalPath: path, market: market.source,
                status: { desk.statusBoard.status }, snapshot: { board.latest },
                control: { control, source in await desk.control(control, source: source, at: clock.now) },
                settings: { reload.shown },
                reload: { source in await reload.reload(source: source, desk: desk, at: clock.now) },
                startingBalance: startingBalance, now: { clock.now },
                scanIntervalSeconds: settings.checkInterval, counters: { [traffic = market.traffic] in
                    var counters = APICounters()
                    let routed = router.counters
                    counters.ordersSent = routed.sent
                    counters.ordersOutcomeUnknown = routed.outcomeUnknown
                    counters.ordersResolvedByLookup = routed.resolvedByLookup
                    counters.ordersResent = routed.resent
                    counters.tradesClosed = desk.statusBoard.status.closedTradeCount
                    let market = traffic()
                    for tally in [market.requests, account?.client.requests].compactMap({ $0 }) {
                        counters.restRequests.merge(tally.byEndpoint, uniquingKeysWith: +)
                        counters.restRateLimited += tally.rateLimited
                        for (answer, count) in tally.answers {
                            counters.restAnswers[.init(endpoint: answer.endpoint, status: answer.status), default: 0] += count
                        }
                        // The account's client speaks last: its reading of the shared pool is as new as any.
                        counters.rateLimitRemaining.merge(tally.rateLimitRemaining) { _, newer in newer }
                    }
                    counters.webSocketReconnects = market.reconnects
                    return counters
                }, samples: { recorder.samples(after: $0) },
                events: { desk.events.watch() }, endStreams: { desk.events.finish() }), logger: Logger(label: "kestrel.api"))
        }
        let apiService: [ServiceGroupConfiguration.ServiceConfiguration] = api.map { [.init(service: $0)] } ?? []
        let alerts: [ServiceGroupConfiguration.ServiceConfiguration] = settings.alerts.isActive
            ? [.init(service: AlertService(settings: settings.alerts, events: { desk.events.watch() },
                                           status: { desk.statusBoard.status }, logger: Logger(label: "kestrel.alerts")))]
            : []
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = apiService + alerts + [
            .init(service: PositionMonitorService(desk: desk, clock: clock,
                                                  intervalSeconds: settings.positionUpdateInterval)),
            .init(service: ReconciliationService(desk: desk, clock: clock, intervalSeconds: settings.reconcileInterval)),
            .init(service: TraderService(board: board, desk: desk, now: { clock.now })),
            market.feed(.init(desk: desk, paper: paper, account: kucoin, clock: clock, start: start,
                              settings: settings)),
            .init(service: ScannerService(scanner: scanner, board: board, clock: clock,
                                          intervalSeconds: settings.checkInterval, recorder: recorder,
                                          journal: journal, trigger: market.scanTrigger,
                                          logger: Logger(label: "kestrel.scanner"))),
        ]
        // Graceful shutdown stops services in reverse order: the scanner first, the position monitor and the API last.
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "kestrel.lifecycle")))
        let shutdownStarted = ShutdownClock()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                var received = 0
                for await signal in signals {
                    received += 1
                    if received == 1 {
                        shutdownStarted.mark()
                        logger.notice("🛑 \(signal) received: shutting down (again to force)")
                        await group.triggerGracefulShutdown()
                    } else {
                        logger.critical("🛑 second \(signal): exiting now")
                        Foundation.exit(130)
                    }
                }
            }
            tasks.addTask {
                // The venue refused the key: nothing more can be done on the account. (Nil: cancelled at the end.)
                var halts = desk.halts.makeAsyncIterator()
                guard await halts.next() != nil else { return }
                shutdownStarted.mark()
                logger.critical("🛑 Shutting down: the exchange refused the API key")
                await group.triggerGracefulShutdown()
            }
            if let wallLimit {
                tasks.addTask {
                    try? await Task.sleep(for: wallLimit)
                    guard !Task.isCancelled else { return }
                    shutdownStarted.mark()
                    logger.notice("⏱️ --duration reached: shutting down")
                    await group.triggerGracefulShutdown()
                }
            }
            try await tasks.next()
            shutdownStarted.mark()
            tasks.cancelAll()
        }
        logger.notice("\(String(repeating: "=", count: 60))")
        logger.notice("🛑 SHUTTING DOWN BOT...")
        let end = clock.now
        await desk.shutdown(at: end)
        // The books are compared with the venue once more; what that and the shutdown sent goes out and is answered
        // (for ten seconds at most: a venue that does not answer must not keep the bot from stopping).
        await desk.reconcile(at: end)
        // Answers can lead to more orders (a stop resized once an entry's last piece is heard): the router takes
        // orders until nothing awaits an answer. A wait that ran out is not followed by the next: the venue is not
        // answering.
        let answered = Task { await desk.untilAnswered() }
        var allAnswered = await Self.finishes(answered, within: .seconds(10))
        if !allAnswered { await desk.stopWaiting() }
        router.finish()
        if allAnswered { allAnswered = await Self.finishes(answers, within: .seconds(10)) }
        if !allAnswered {
            logger.warning("⏳ Orders still unanswered 10 s after stopping: given up on (the next start settles them)")
            router.cancel()
            _ = await Self.finishes(answers, within: .seconds(2))
        }
        let violations = try await RunInvariants.check(desk: desk, venue: venue, journal: journal,
                                                       settings: settings.engine, lateness: 60 + replayGrace,
                                                       logger: logger)
        privateStream?.cancel()
        await paper?.close()
        await kucoin?.close()
        await venueEvents.value
        var summary = RunSummary(engine: await desk.engine, recorder: recorder, startingBalance: startingBalance,
                                 marketFrom: start, marketTo: end)
        summary.addExecution(router: router.counters, invariantViolations: violations.count,
                             reconciliations: await desk.reconciliations)
        market.report(&summary)
        if let summaryJson { try OutputFile.write(try JSONText.data(summary), to: summaryJson, what: "the summary") }
        logger.notice("✅ BOT SHUTDOWN COMPLETE in \(shutdownStarted.elapsedMilliseconds) ms")
        logger.notice("\(String(repeating: "=", count: 60))")
        print(RunReport.text(summary, engine: await desk.engine))
        if let reason = await desk.haltReason { throw TradingHalted(venue: venue.name, reason: reason) }
    }

    /// The run stopped because the venue refused the key: the command fails, naming the venue's answer.
    struct TradingHalted: Error, CustomStringConvertible {
        var venue: String
        var reason: String
        var description: String {
            "trading stopped: \(venue) refused the API key (\(reason)); positions keep the stops resting on the exchange"
        }
    }

    /// Whether `task` finished within `limit`; it is left running either way.
    static func finishes(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let (outcomes, outcome) = AsyncStream.makeStream(of: Bool.self)
        let watcher = Task {
            await task.value
            outcome.yield(true)
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            outcome.yield(false)
        }
        defer {
            watcher.cancel()
            timer.cancel()
            outcome.finish()
        }
        for await finished in outcomes { return finished }
        return false
    }

    /// The settings as the command line, the `.env` file and the environment give them now (read again by a
    /// reload, with the same command line).
    private var settingsSource: @Sendable () async throws -> BotSettings {
        let flags = settingFlags
        let envFile = envFile
        let assignments = assignments
        return { try await BotSettings.resolve(envFile: envFile, assignments: assignments, flags: flags) }
    }

    private func loadSettings() async throws -> BotSettings { try await settingsSource() }

    private var settingFlags: [String: String] {
        var flags = [String: String]()
        flags["CHECK_INTERVAL"] = checkInterval
        flags["LEVERAGE"] = leverage
        flags["MAX_OPEN_POSITIONS"] = maxOpenPositions
        flags["STARTING_BALANCE"] = startingBalance
        if closePositionsOnShutdown { flags["CLOSE_POSITIONS_ON_SHUTDOWN"] = "true" }
        flags["PAPER_FAULTS"] = paperFaults
        flags["HTTP_ADDRESS"] = http
        return flags
    }

    static func parseDuration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0, value.isFinite {
                return .milliseconds(Int64(value * scale * 1000))
            }
        }
        if let value = Double(text), value > 0, value.isFinite { return .milliseconds(Int64(value * 1000)) }
        throw ValidationError("--duration '\(text)' is not a duration such as 90s, 5m or 1h")
    }

    private func banner(_ settings: BotSettings, market: RunMarket, account: LiveAccount?, start: Timestamp,
                        logger: Logger) {
        let rule = String(repeating: "=", count: 60)
        logger.notice("\(rule)")
        logger.notice("🚀 BOT STARTED SUCCESSFULLY!")
        logger.notice("\(rule)")
        if let account {
            let money = account.overview
            logger.critical("💰 LIVE TRADING: real orders with real money on KuCoin Futures (\(account.api.credentials))")
            logger.critical("💰 Account: equity \(NumberText.compact(money.equity)) \(money.currency), wallet \(NumberText.compact(money.walletBalance)), available \(NumberText.compact(money.available))")
            logger.notice("🛡️ Every position gets a reduce-only stop on KuCoin (\(settings.stopPriceType) price), so it stays protected if Kestrel stops")
        } else {
            logger.notice("📝 Paper trading on \(market.description) from \(start), balance \(NumberText.compact(settings.startingBalance))")
        }
        logger.notice("⏱️  Opportunity scan interval: \(settings.checkInterval)s")
        logger.notice("⚡ Position update interval: \(settings.positionUpdateInterval)s (LIVE MONITORING)")
        logger.notice("📊 Max positions: \(settings.risk.maxOpenPositions)")
        logger.notice("💪 Leverage: \(settings.risk.leverage)x")
        logger.notice("🔑 API keys: \(settings.kucoinCredentials != nil ? "set (not shown)" : "none (paper trading)")")
        logger.notice("\(rule)")
        logger.notice("🔍 Starting background scanner for continuous market scanning...")
    }
}

/// When shutdown began, to report how long it took.
final class ShutdownClock: Sendable {
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    func mark() { started.withLock { if $0 == nil { $0 = .now } } }

    var elapsedMilliseconds: String {
        guard let start = started.withLock({ $0 }) else { return "0" }
        let elapsed = ContinuousClock.now - start
        return String(format: "%.1f", elapsed.milliseconds)
    }
}

