public import KestrelCore
public import Logging
public import ServiceLifecycle

/// Scans the market every CHECK_INTERVAL, and at once when `trigger` rings (a live market's candles closed), and
/// publishes each result to the opportunity board.
///
/// A failed scan is logged and retried with backoff; graceful shutdown cancels the scan in progress at once.
public struct ScannerService<S: Strategy, C: Clock>: Service where C.Duration == Duration {
    public let scanner: MarketScanner<S>
    public let board: OpportunityBoard
    public let clock: EngineClock<C>
    public let intervalSeconds: Int64
    public let recorder: RunRecorder
    public let journal: (any TradingJournal)?
    public let trigger: ScanTrigger?
    public let logger: Logger

    public init(scanner: MarketScanner<S>, board: OpportunityBoard, clock: EngineClock<C>, intervalSeconds: Int64,
                recorder: RunRecorder, journal: (any TradingJournal)? = nil, trigger: ScanTrigger? = nil,
                logger: Logger) {
        self.scanner = scanner
        self.board = board
        self.clock = clock
        self.intervalSeconds = intervalSeconds
        self.recorder = recorder
        self.journal = journal
        self.trigger = trigger
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.scanContinuously() }
        } catch is CancellationError {
            logger.info("✅ Background scanner stopped")
        }
    }

    private func scanContinuously() async throws {
        var failures = 0
        var previous: [String] = []
        while true {
            try Task.checkCancellation()
            let started = clock.now
            let wallStart = ContinuousClock.now
            logger.debug("🔍 [Background] Scanning market for opportunities...")
            do {
                let result = try await scanner.scan(at: started)
                let snapshot = board.publish(result.opportunities, scanStarted: started, scanFinished: clock.now)
                let duration = ContinuousClock.now - wallStart
                recorder.recordScan(wallDuration: duration)
                do {
                    try journal?.recordScan(snapshot, durationMilliseconds: duration.milliseconds)
                } catch {
                    logger.error("💾 Could not journal scan \(snapshot.sequence): \(error)")
                }
                failures = 0
                let found = result.opportunities.map { "\($0.symbol) \($0.signal.rawValue)" }
                // A scan that finds what the last one found is only news at debug level.
                let level: Logger.Level = found == previous && snapshot.sequence > 1 ? .debug : .info
                previous = found
                logger.log(level: level, "✅ [Background] Found \(found.count) opportunities",
                           metadata: ["scan": "\(snapshot.sequence)", "at": "\(started)",
                                      "found": "\(found.joined(separator: ", "))"])
                try await nextScan(after: started + intervalSeconds)
            } catch let error where !(error is CancellationError) {
                failures += 1
                let backoff = min(intervalSeconds << min(failures, 4), 600)
                logger.error("[Background] Scan failed, retrying in \(backoff)s",
                             metadata: ["error": "\(error)", "failures": "\(failures)"])
                try await clock.sleep(until: clock.now + backoff)
            }
        }
    }

    /// Waits until `deadline`, or until the trigger rings if there is one.
    private func nextScan(after deadline: Timestamp) async throws {
        guard let trigger else { return try await clock.sleep(until: deadline) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: deadline) }
            group.addTask { await trigger.wait() }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
        try Task.checkCancellation()
    }
}

/// Hands each new snapshot to the trading desk the moment it is published.
public struct TraderService: Service {
    public let board: OpportunityBoard
    public let desk: TradingDesk
    public let now: @Sendable () -> Timestamp

    public init(board: OpportunityBoard, desk: TradingDesk, now: @escaping @Sendable () -> Timestamp) {
        self.board = board
        self.desk = desk
        self.now = now
    }

    public func run() async throws {
        let snapshots = board.snapshots()
        await withGracefulShutdownHandler {
            for await snapshot in snapshots {
                await desk.process(snapshot, at: max(now(), snapshot.scanFinished))
            }
        } onGracefulShutdown: {
            board.finish()
        }
    }
}

/// Checks open positions every POSITION_UPDATE_INTERVAL, whatever the scanner, the trader or a reconciliation is
/// doing.
public struct PositionMonitorService<C: Clock>: Service where C.Duration == Duration {
    public let desk: TradingDesk
    public let clock: EngineClock<C>
    public let intervalSeconds: Int64

    public init(desk: TradingDesk, clock: EngineClock<C>, intervalSeconds: Int64) {
        self.desk = desk
        self.clock = clock
        self.intervalSeconds = intervalSeconds
    }

    public func run() async throws {
        try await clock.repeating(every: intervalSeconds, from: clock.now) { now in await desk.tick(at: now) }
    }
}

/// Reconciles the engine with the venue every RECONCILE_INTERVAL, on its own: a reconciliation waits for the
/// venue's snapshot, and the monitor's ticks must never wait with it.
public struct ReconciliationService<C: Clock>: Service where C.Duration == Duration {
    public let desk: TradingDesk
    public let clock: EngineClock<C>
    public let intervalSeconds: Int64

    public init(desk: TradingDesk, clock: EngineClock<C>, intervalSeconds: Int64) {
        self.desk = desk
        self.clock = clock
        self.intervalSeconds = intervalSeconds
    }

    public func run() async throws {
        try await clock.repeating(every: intervalSeconds, from: clock.now + intervalSeconds) { now in
            await desk.reconcile(at: now, mayBeSkipped: true)
        }
    }
}

extension EngineClock {
    /// Runs `body` at `first` and every `interval` engine seconds after, until graceful shutdown (or cancellation).
    /// A run that overran its turn is followed by the next at once, not by a burst of the turns it missed.
    func repeating(every interval: Int64, from first: Timestamp,
                   _ body: @escaping @Sendable (Timestamp) async -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var next = first
                while true {
                    try await sleep(until: next)
                    await body(now)
                    next = max(next + interval, now)
                }
            }
        } catch is CancellationError {}
    }
}

/// Replays recorded candles as a live market: engine time advances with the clock, and each candle's prices reach
/// the desk along a realistic path (open, then the nearer extreme, the other extreme, and the close), each at its
/// own moment inside the candle. The scanner, reading the same market at the same clock, sees only closed candles.
public struct MarketReplayService<C: Clock>: Service where C.Duration == Duration {
    public let market: HistoricalMarket
    public let desk: TradingDesk
    /// The paper venue the replay's prices fill orders on: it hears each price before the desk does.
    public let venue: PaperVenue?
    public let clock: EngineClock<C>
    public let from: Timestamp
    public let until: Timestamp?
    public let logger: Logger

    public init(market: HistoricalMarket, desk: TradingDesk, venue: PaperVenue? = nil, clock: EngineClock<C>,
                from: Timestamp, until: Timestamp? = nil, logger: Logger) {
        self.market = market
        self.desk = desk
        self.venue = venue
        self.clock = clock
        self.from = from
        self.until = until
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.replay() }
            logger.notice("⏹️ Replay reached the end of the data")
        } catch is CancellationError {}
    }

    private func replay() async throws {
        let series = market.symbols.compactMap { market.series[$0] }
        var cursors = series.map { s in s.base.firstIndex { $0.time + s.baseTimeframe.seconds > from } ?? s.base.count }
        while true {
            // The next candle time across all symbols, and every symbol's candle at that time.
            var next: Timestamp?
            for (index, s) in series.enumerated() where cursors[index] < s.base.count {
                let time = s.base[cursors[index]].time
                if next == nil || time < next! { next = time }
            }
            guard let time = next else { return }
            if let until, time >= until { return }
            var batch = [(symbol: String, candle: Candle, timeframe: Timeframe)]()
            for (index, s) in series.enumerated() where cursors[index] < s.base.count && s.base[cursors[index]].time == time {
                batch.append((s.instrument.symbol, s.base[cursors[index]], s.baseTimeframe))
                cursors[index] += 1
            }
            for step in 0..<4 {
                var updates = [(String, Double, Timestamp, Bool)]()
                for item in batch {
                    let (first, second) = item.candle.close >= item.candle.open
                        ? (item.candle.low, item.candle.high) : (item.candle.high, item.candle.low)
                    let prices = [item.candle.open, first, second, item.candle.close]
                    let at = item.candle.time + item.timeframe.seconds * Int64(step) / 3
                    updates.append((item.symbol, prices[step], at, step != 0))
                }
                guard let at = updates.first?.2 else { continue }
                if at > clock.now { try await clock.sleep(until: at) }
                for (symbol, price, time, continuous) in updates {
                    await venue?.price(symbol, price, at: time, continuous: continuous)
                    await desk.price(symbol, price, at: time)
                }
            }
        }
    }
}

/// Carries what the venue reports on its stream to the desk; after the stream comes back from a break, the desk
/// reconciles (what was lost comes back from the venue's snapshot, never by guessing).
public struct VenueEventsService<C: Clock>: Sendable where C.Duration == Duration {
    public let desk: TradingDesk
    public let clock: EngineClock<C>

    public init(desk: TradingDesk, clock: EngineClock<C>) {
        self.desk = desk
        self.clock = clock
    }

    /// Until the venue's stream ends.
    public func run() async {
        for await event in desk.venue.events {
            await desk.heard(event, at: clock.now)
            if case .connectionRestored = event { await desk.reconcile(at: clock.now) }
        }
    }
}

/// Runs the order router and carries its answers to the desk, until the router is finished and has answered all
/// it sent.
public struct OrderAnswersService<C: Clock>: Sendable where C.Duration == Duration {
    public let desk: TradingDesk
    public let clock: EngineClock<C>

    public init(desk: TradingDesk, clock: EngineClock<C>) {
        self.desk = desk
        self.clock = clock
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await desk.router.run() }
            group.addTask {
                for await answer in desk.router.answers { await desk.answered(answer, at: clock.now) }
            }
        }
    }
}

// Service lifecycle names services by their description in logs; the default one would print whole markets.
extension ScannerService: CustomStringConvertible {
    public var description: String { "ScannerService(every \(intervalSeconds)s)" }
}

extension TraderService: CustomStringConvertible {
    public var description: String { "TraderService" }
}

extension PositionMonitorService: CustomStringConvertible {
    public var description: String { "PositionMonitorService(every \(intervalSeconds)s)" }
}

extension ReconciliationService: CustomStringConvertible {
    public var description: String { "ReconciliationService(every \(intervalSeconds)s)" }
}

extension MarketReplayService: CustomStringConvertible {
    public var description: String { "MarketReplayService(\(market.symbols.count) symbols from \(from))" }
}
