public import KestrelCore
public import Logging

/// The one owner of the engine. Services send it events (snapshots, prices, ticks, what the venue reports, what
/// became of each order); it runs the deterministic engine, journals what happened, hands the engine's commands to
/// the order router, and publishes its status.
///
/// Each call runs to completion without suspending (reconciliation alone awaits the venue's snapshot, outside the
/// engine), so a price update or a tick never waits for anything but the call before it, and never for the venue:
/// commands are handed to the router, which answers later.
public actor TradingDesk {
    private var engine_: TradingEngine
    public nonisolated let venue: any Venue
    public nonisolated let router: OrderRouter
    private let recorder: RunRecorder
    private let logger: Logger
    private let narrator: Narrator
    private let journal: (any TradingJournal)?
    public nonisolated let statusBoard: StatusBoard
    /// What the desk does and hears, as it happens, for watchers (the API's event stream).
    public nonisolated let events = DeskEventHub()
    /// Engine time of the last state saved to the journal.
    private var lastSaved: Timestamp?
    private let saveEverySeconds: Int64
    private var journalFailures = 0
    /// What a failed commit could not record; it goes out with the next commit.
    private var unsaved: JournalEntry?
    /// Orders sent, by id, to read a refusal the venue reports by id alone (the newest few thousand).
    private var sent = [ClientOrderID: OrderRequest]()
    private var sentOrder = [ClientOrderID]()
    /// The closed trades the status carries (the newest), and how many there were when they were taken.
    private var recentTrades: [ClosedTrade] = []
    private var publishedTradeCount = -1
    private var realizedPnL = 0.0
    /// Equity over time for the status: a point a minute of engine time at most, thinned by half when it is full.
    private var equityCurve: [DeskStatus.EquityPoint] = []
    /// Symbols the venue was readied to enter (`prepareVenue`).
    private var preparedSymbols = Set<String>()
    /// Orders whose outcome is unknown, being looked up.
    private var unknown = Set<ClientOrderID>()
    /// Orders handed to the router whose answer the desk has not heard yet. Kept here, on the desk, rather than
    /// asked of the router: the order path then takes no lock the router's sending tasks take too.
    public private(set) var awaitingAnswer = Set<ClientOrderID>()
    /// Callers of `untilAnswered()`, resumed when nothing awaits an answer any more.
    private var answeredWaiters: [CheckedContinuation<Void, Never>] = []
    private var connected = true
    /// Counts what the venue and the router reported, so reconciliation knows whether the engine heard of the venue
    /// while it awaited a snapshot (the engine's own orders sent meanwhile await their answer: `awaitingAnswer`).
    private var eventsHeard = 0
    /// Fills the venue reported, duplicates included.
    private var fillsHeard = 0
    public private(set) var reconciliations = 0
    /// Signal ages are measured from the step that re-validates the signal to the router starting to send the order.
    private var stepStarted: ContinuousClock.Instant?

    /// The trading mode the status reports: `paper` or `live`.
    public nonisolated let mode: String
    /// Why trading stopped for good (the venue refused the key), or nil while it goes on.
    public private(set) var haltReason: String?
    /// Yields once, with the reason, when trading stops for good: the run shuts down.
    public nonisolated let halts: AsyncStream<String>
    private nonisolated let haltsOut: AsyncStream<String>.Continuation

    public init(engine: TradingEngine, venue: any Venue, router: OrderRouter, recorder: RunRecorder, logger: Logger,
                journal: (any TradingJournal)? = nil, mode: String = "paper", saveEverySeconds: Int64 = 60,
                positionLogIntervalSeconds: Int64 = 1800) {
        self.mode = mode
        engine_ = engine
        self.venue = venue
        self.router = router
        self.recorder = recorder
        self.logger = logger
        self.journal = journal
        self.saveEverySeconds = saveEverySeconds
        statusBoard = StatusBoard(mode: mode, venue: venue.name)
        (halts, haltsOut) = AsyncStream.makeStream(of: String.self)
        narrator = Narrator(positionLogIntervalSeconds: positionLogIntervalSeconds)
    }

    public var engine: TradingEngine { engine_ }
    /// The engine's settings, without a copy of the engine.
    public var engineSettings: EngineSettings { engine_.settings }

    // MARK: Events

    public func process(_ snapshot: ScanSnapshot, at now: Timestamp) {
        step(.snapshot(snapshot), at: now)
        prepareVenue(for: snapshot)
        events.publish(.scan(sequence: snapshot.sequence, opportunities: snapshot.opportunities.count,
                             finished: snapshot.scanFinished))
    }

    /// Lets the venue get ready for the symbols at the top of a scan that it has not seen there before (a live
    /// venue reads their margin mode), after the step: an entry the snapshot leads to goes first.
    private func prepareVenue(for snapshot: ScanSnapshot) {
        let new = snapshot.opportunities.prefix(Self.preparedPerSnapshot).map(\.symbol)
            .filter { preparedSymbols.insert($0).inserted }
        guard !new.isEmpty else { return }
        let venue = self.venue
        Task.detached(priority: .low) { await venue.prepare(toEnter: new) }
    }

    /// How many of a snapshot's best opportunities the venue is readied for.
    static let preparedPerSnapshot = 5

    public func price(_ symbol: String, _ price: Double, at time: Timestamp) {
        step(.price(symbol: symbol, price: price, time: time), at: time)
    }

    public func tick(at time: Timestamp) {
        step(.tick(time), at: time)
    }

    /// What the market lists now: a new instrument can be entered from now on, a delisted one is not entered again
    /// (a position held on it is still managed to its end).
    public func updateListing(_ instruments: [Instrument]) {
        engine_.updateListing(instruments)
    }

    /// What the venue reported on its stream.
    public func heard(_ event: VenueEvent, at time: Timestamp) {
        eventsHeard += 1
        switch event {
        case .exchange(let exchangeEvent):
            step(.exchange(exchangeEvent), at: time)
            if case .fill(let fill) = exchangeEvent {
                fillsHeard += 1
                events.publish(.fill(fill))
            }
        case .rejected(let id, _, let reason):
            guard let request = sent[id] else { return }
            step(.rejected(request, .refused(reason), time: time), at: time)
        case .connectionLost(let reason):
            connected = false
            logger.warning("🔌 \(venue.name) stream lost: \(reason)")
            events.publish(.warning("\(venue.name) stream lost: \(reason)"))
            publishStatus()
        case .connectionRestored:
            connected = true
            logger.notice("🔌 \(venue.name) stream restored")
            publishStatus()
        case .position, .wallet:
            // Reconciliation takes positions and the wallet from the venue's snapshot.
            break
        case .authenticationRefused(let reason):
            halt(because: reason)
        }
    }

    /// What became of an order the router sent.
    public func answered(_ answer: OrderAnswer, at time: Timestamp) {
        eventsHeard += 1
        switch answer {
        case .accepted(let order):
            unknown.remove(order.id)
            awaitingAnswer.remove(order.id)
            var entry = JournalEntry(time: time)
            entry.outcomes.append(.accepted(order.id))
            step(.exchange(.accepted(order.id, symbol: order.symbol)), at: time, journal: entry)
        case .rejected(let order, let rejection):
            unknown.remove(order.id)
            awaitingAnswer.remove(order.id)
            step(.rejected(order, rejection, time: time), at: time)

        case .unknown(let order, let reason):
            if unknown.insert(order.id).inserted {
                logger.warning("❓ Order \(order.id) for \(order.symbol): outcome unknown (\(reason)); looking it up")
                events.publish(.warning("order \(order.id) for \(order.symbol): outcome unknown (\(reason)); looking it up"))
                var entry = JournalEntry(time: time)
                entry.outcomes.append(.unknown(order.id, reason: reason))
                save(&entry, at: time, force: false)
                publishStatus()
            }
        case .found(let order, let found):
            unknown.remove(order.id)
            awaitingAnswer.remove(order.id)
            logger.notice("🔎 Order \(order.id) found on \(venue.name): \(found.status.rawValue)")
            switch found.status {
            case .open, .filled:
                var entry = JournalEntry(time: time)
                entry.outcomes.append(.accepted(order.id))
                step(.exchange(.accepted(order.id, symbol: order.symbol)), at: time, journal: entry)
                // What it filled while its answer was lost may be lost with it: the venue's books tell.
                if found.filledLots > 0 || found.status == .filled { Task { await self.reconcile(at: time) } }
            case .cancelled, .rejected:
                if found.filledLots == 0 {
                    step(.rejected(order, .refused("\(found.status.rawValue) on the venue"), time: time), at: time)
                } else {
                    step(.exchange(.orderCancelled(order.id, symbol: order.symbol)), at: time)
                }
            }
        case .cancelFailed(let id, let symbol, let reason):
            logger.warning("⚠️  Could not cancel \(id) on \(symbol): \(reason); reconciliation will")
        case .authenticationRefused(let reason):
            halt(because: reason)
        }
        if awaitingAnswer.isEmpty, !answeredWaiters.isEmpty { stopWaiting() }
    }

    /// Returns once no order the desk sent awaits an answer: what the answers led to (a stop resized once the
    /// entry's last piece filled) is answered too. Before a run's router is finished, so that nothing the
    /// shutdown's answers lead to is sent to a router that no longer takes orders. `stopWaiting()` ends the wait.
    public func untilAnswered() async {
        // Once the key is refused, nothing more will be answered: the next start looks up what is left.
        while !awaitingAnswer.isEmpty, haltReason == nil {
            await withCheckedContinuation { answeredWaiters.append($0) }
        }
    }

    /// Ends every `untilAnswered()` wait, answered or not (the time allowed is up).
    public func stopWaiting() {
        let waiting = answeredWaiters
        answeredWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// The last call of a run: closes positions if the settings say so, and saves the final state.
    public func shutdown(at time: Timestamp) {
        step(.shutdown(time), at: time, forceSave: true)
    }

    // MARK: Reconciliation

    /// Brings the engine in line with the venue (at start-up, after a reconnect and periodically). Its one line in
    /// the log says what it compared and what it changed. Nil when the venue could not be asked.
    /// One reconciliation at a time: a call made while one runs waits for it, then makes its own.
    private var reconciling = false
    private var waitingToReconcile: [CheckedContinuation<Void, Never>] = []

    /// - Parameter mayBeSkipped: a periodic round, which gives up when events keep racing its snapshot (the next
    ///   round comes); others (at start, after a reconnect, at shutdown) try harder.
    @discardableResult
    public func reconcile(at time: Timestamp, mayBeSkipped: Bool = false) async -> ReconciliationReport? {
        while reconciling { await withCheckedContinuation { waitingToReconcile.append($0) } }
        reconciling = true
        defer {
            reconciling = false
            let waiting = waitingToReconcile
            waitingToReconcile = []
            for waiter in waiting { waiter.resume() }
        }
        return await reconcileOnce(at: max(time, engine_.statistics.lastTime ?? time), mayBeSkipped: mayBeSkipped)
    }

    private func reconcileOnce(at time: Timestamp, mayBeSkipped: Bool) async -> ReconciliationReport? {
        // A snapshot older than an event the engine heard while waiting for it could undo that event: one taken
        // while events came in is taken again, twice at most; a periodic round that still races them is skipped
        // (the next one comes), as the venue is plainly busy. A read that failed is tried again after a pause.
        var snapshot: VenueSnapshot?
        var failures = 0, races = 0
        var wait = Duration.milliseconds(20)
        while snapshot == nil {
            let heardBefore = eventsHeard
            do {
                let taken = try await venue.snapshot()
                if eventsHeard == heardBefore {
                    snapshot = taken
                } else {
                    races += 1
                    if races == (mayBeSkipped ? 3 : 10) {
                        logger.debug("♻️ Reconciliation skipped: events kept arriving while the venue was read")
                        return nil
                    }
                }
            } catch .authentication(let reason) {
                halt(because: reason)
                return nil
            } catch {
                failures += 1
                guard failures < 5 else {
                    logger.error("♻️ Reconciliation could not read \(venue.name): \(error)")
                    return nil
                }
                try? await Task.sleep(for: wait)
                wait *= 2
            }
        }
        guard let snapshot else { return nil }
        // Orders whose answer the desk has not heard, those sent while the snapshot was taken among them, may be
        // missing from it (an answer heard meanwhile would have counted as an event, and the snapshot been taken
        // again).
        let inFlight = awaitingAnswer
        var entry = JournalEntry(time: time)
        // The fills and funding it counts are recorded as heard (the journal keeps each once).
        entry.fills = snapshot.recentFills.filter(TradingEngine.isOwn)
        entry.funding = snapshot.recentFunding
        let (report, output) = engine_.reconcile(with: snapshot, inFlight: inFlight, at: time)
        reconciliations += 1
        carryOut(output, at: time, into: &entry)
        // One line every time, differences or not: a trader reading the log sees that it ran and what it compared.
        logger.log(level: report.isClean ? .info : .warning, "♻️ \(report.summary)")
        if !report.isClean { events.publish(.warning(report.summary)) }
        save(&entry, at: time, force: !report.isClean)
        publishStatus()
        return report
    }

    // MARK: Controls

    /// A person's command (from the API or the dashboard): applied at once, journaled with where it came from,
    /// and logged. The answer says what it did, or why there was nothing to do.
    @discardableResult
    public func control(_ control: EngineControl, source: String, at time: Timestamp) -> ControlOutcome {
        let held = engine_.positions.values.map(\.symbol)
        let outcome: ControlOutcome
        switch control {
        case .pauseEntries:
            outcome = ControlOutcome(applied: true, message: engine_.entriesPaused ? "entries were paused already"
                : "entries paused; \(held.count) open position(s) still managed")
        case .resumeEntries:
            outcome = ControlOutcome(applied: true, message: engine_.entriesPaused ? "entries resumed"
                : "entries were not paused")
        case .close(let symbol):
            outcome = held.contains(symbol)
                ? ControlOutcome(applied: true, message: "closing \(symbol) at market")
                : ControlOutcome(applied: false, message: "no open position on \(symbol)")
        case .closeAll:
            outcome = held.isEmpty ? ControlOutcome(applied: false, message: "no open positions")
                : ControlOutcome(applied: true, message: "closing \(held.count) position(s) at market")
        case .cancelOrders:
            let targets = engine_.positions.values.reduce(0) { $0 + $1.targetOrders.count }
            outcome = targets == 0
                ? ControlOutcome(applied: false, message: "no take-profit order is resting; the stops stay "
                                     + "(close a position to remove its stop)")
                : ControlOutcome(applied: true, message: "cancelling \(targets) take-profit order(s); the stops stay, "
                                     + "and Kestrel takes profit itself at market")
        case .applySettings(let settings, let summary):
            outcome = ControlOutcome(applied: settings.keepingVenueFigures(of: engine_.settings) != engine_.settings,
                                     message: summary)
        }
        logger.notice("🎛️ \(control) from \(source): \(outcome.message)")
        events.publish(.control(action: control.description, source: source, message: outcome.message))
        var entry = JournalEntry(time: time)
        entry.controls.append(ControlRecord(action: control.description, source: source, detail: outcome.message))
        guard outcome.applied else {
            save(&entry, at: time, force: true)
            return outcome
        }
        step(.control(control, time: time), at: max(time, engine_.statistics.lastTime ?? time), journal: entry,
             forceSave: true)
        return outcome
    }

    // MARK: Halting

    /// Stops trading for good because the venue refused the account's key: a key that is refused once is refused at
    /// every retry, so the run ends (`halts` says why) instead of looping. Positions keep the stops resting on the
    /// venue; the next start with a working key reconciles.
    private func halt(because reason: String) {
        guard haltReason == nil else { return }
        haltReason = reason
        let message = "🔑 \(venue.name) refused the API key: \(reason). Trading stops; every position keeps the stop "
            + "resting on the exchange. Check the key (revoked? permissions?), then start Kestrel again."
        logger.critical("\(message)")
        events.publish(.warning("\(venue.name) refused the API key: trading stopped (\(reason))"))
        haltsOut.yield(reason)
        haltsOut.finish()
        stopWaiting()
        publishStatus()
    }

    // MARK: Steps

    private func step(_ event: EngineEvent, at time: Timestamp, journal entry: JournalEntry? = nil,
                      forceSave: Bool = false) {
        stepStarted = ContinuousClock.now
        var entry = entry ?? JournalEntry(time: time)
        entry.record(event)
        let output = engine_.handle(event)
        carryOut(output, at: time, into: &entry)
        save(&entry, at: time, force: forceSave)
        publishStatus()
    }

    /// Hands the engine's commands to the router, each order's intent journaled first, then narrates its notes. An
    /// order that cannot be journaled is not sent: the engine hears it refused.
    private func carryOut(_ output: TradingEngine.Output, at time: Timestamp, into entry: inout JournalEntry) {
        var pending = output
        while true {
            for note in pending.notes {
                if case .closed(let trade) = note { entry.closedTrades.append(trade) }
            }
            var refused = [EngineEvent]()
            for command in pending.commands {
                switch command {
                case .place(let order), .replaceStop(_, with: let order):
                    do {
                        // Written before the order is sent: a crash after this line leaves a trace to resolve.
                        try journal?.recordIntent(order, at: time)
                    } catch {
                        refused.append(.rejected(order, .notRecorded("\(error)"), time: time))
                        continue
                    }
                    remember(order)
                    awaitingAnswer.insert(order.id)
                    router.submit(command, decidedAt: stepStarted)
                    recorder.recordSubmission(order)
                case .cancel:
                    router.submit(command)
                }
            }
            // The orders left first; the log is written after them: a line to a slow terminal or pipe must not stand
            // between a decision and its order.
            narrate(pending.notes, at: time)
            guard !refused.isEmpty else { return }
            pending = engine_.emptyOutput
            for event in refused {
                entry.record(event)
                engine_.handle(event, into: &pending)
            }
        }
    }

    private func remember(_ order: OrderRequest) {
        if sent.updateValue(order, forKey: order.id) == nil { sentOrder.append(order.id) }
        if sentOrder.count > 8_192 {
            for id in sentOrder.prefix(4_096) { sent[id] = nil }
            sentOrder.removeFirst(4_096)
        }
    }

    private func save(_ entry: inout JournalEntry, at time: Timestamp, force: Bool) {
        guard let journal else { return }
        let due = lastSaved.map { time - $0 >= saveEverySeconds } ?? true
        guard force || due || !entry.isEmpty || unsaved != nil else { return }
        if let earlier = unsaved {
            entry.outcomes = earlier.outcomes + entry.outcomes
            entry.fills = earlier.fills + entry.fills
            entry.funding = earlier.funding + entry.funding
            entry.closedTrades = earlier.closedTrades + entry.closedTrades
            entry.controls = earlier.controls + entry.controls
        }
        entry.engine = engine_.state
        entry.equity = engine_.equity
        do {
            let started = ContinuousClock.now
            try journal.commit(entry)
            recorder.recordJournalCommit(.now - started)
            lastSaved = time
            unsaved = nil
        } catch {
            unsaved = entry
            journalFailures += 1
            logger.critical("💾 The journal could not record the last step: \(error)",
                            metadata: ["failures": "\(journalFailures)"])
        }
    }

    private func narrate(_ notes: [EngineNote], at time: Timestamp) {
        for note in notes {
            switch note {
            case .opened(let position):
                events.publish(.opened(symbol: position.symbol, side: position.side, lots: position.lots,
                                       price: position.entryPrice, stop: position.stopPrice, time: time))
            case .closed(let trade):
                events.publish(.closed(trade))
            case .stopMoved(let symbol, let from, let to, _):
                events.publish(.stopMoved(symbol: symbol, from: from, to: to, time: time))
            default:
                break
            }
            if let (level, message) = narrator.line(for: note, at: time, engine: engine_) {
                logger.log(level: level, "\(message)")
            }
        }
    }

    private func sampleEquity(at time: Timestamp?) {
        guard let time else { return }
        if let last = equityCurve.last, time - last.time < 60 { return }
        equityCurve.append(DeskStatus.EquityPoint(time: time, equity: engine_.equity))
        if equityCurve.count > DeskStatus.equityPointsKept {
            // Every other point: the curve keeps its shape over the whole run in a bounded size.
            equityCurve = equityCurve.enumerated().filter { $0.offset % 2 == 0 || $0.offset == equityCurve.count - 1 }
                .map(\.element)
        }
    }

    private func publishStatus() {
        var status = DeskStatus(mode: mode, venue: venue.name)
        status.connected = connected
        status.haltReason = haltReason
        status.entriesPaused = engine_.entriesPaused
        status.journalHealthy = unsaved == nil
        status.maxDrawdown = engine_.statistics.maxDrawdown
        status.equityPeak = engine_.statistics.equityPeak
        status.dayStartEquity = engine_.risk.dayStartEquity
        status.unprotectedPositions = engine_.positions.values.filter { !$0.isProtected }.count
        let trades = engine_.statistics.closedTrades
        if trades.count != publishedTradeCount {
            publishedTradeCount = trades.count
            recentTrades = Array(trades.suffix(DeskStatus.recentTradesKept))
            realizedPnL = trades.reduce(0) { $0 + $1.pnl }
        }
        status.recentTrades = recentTrades
        status.closedTradeCount = trades.count
        status.realizedPnL = realizedPnL
        status.time = engine_.statistics.lastTime
        sampleEquity(at: status.time)
        status.equityCurve = equityCurve
        status.cash = engine_.cash
        status.equity = engine_.equity
        let prices = engine_.lastPrices
        status.positions = engine_.positions.values.map { p in
            DeskStatus.Position(symbol: p.symbol, side: p.side, lots: p.lots, entryPrice: p.entryPrice,
                                stopPrice: p.stopPrice, stopState: p.stopState, stopOrderID: p.stopOrderID,
                                unrealizedPnL: p.unrealizedPnL(at: prices[p.symbol] ?? p.entryPrice),
                                openedAt: p.openedAt, takeProfit: p.takeProfitPrice, leverage: p.leverage)
        }
        status.ordersInFlight = awaitingAnswer.count
        status.unknownOrders = unknown.sorted()
        status.latestScan = engine_.latestSnapshot.map { ($0.sequence, $0.scanFinished) }
        status.dailyLoss = engine_.risk.dailyLoss(equity: engine_.equity)
        status.lossStreak = engine_.risk.lossStreak
        status.fillsHeard = fillsHeard
        status.duplicateFills = engine_.statistics.duplicateFills
        status.rejections = engine_.statistics.rejections
        status.maxMonitorGapSeconds = engine_.statistics.maxMonitorGapSeconds
        status.riskState = engine_.risk
        status.riskSettings = engine_.riskManager.settings
        status.maintenanceMarginRate = engine_.riskManager.maintenanceMarginRate
        statusBoard.publish(status)
    }
}
