public import KestrelCore
public import Logging

/// The one owner of the engine and the exchange it trades on. Services send it events; it runs the deterministic
/// engine, carries out the engine's commands, journals what happened and reports it.
///
/// Each call runs to completion without suspending, so an order in flight always completes, and a price update or
/// a monitor tick never waits for anything but the call before it.
public actor TradingDesk {
    private var desk: PaperDesk
    private let recorder: RunRecorder
    private let logger: Logger
    private let narrator: Narrator
    private let journal: (any TradingJournal)?
    /// Engine time of the last state saved to the journal.
    private var lastSaved: Timestamp?
    private let saveEverySeconds: Int64
    private var journalFailures = 0
    /// What a failed commit could not record; it goes out with the next commit.
    private var unsaved: JournalEntry?

    public init(desk: PaperDesk, recorder: RunRecorder, logger: Logger, journal: (any TradingJournal)? = nil,
                saveEverySeconds: Int64 = 60, positionLogIntervalSeconds: Int64 = 1800) {
        self.desk = desk
        self.recorder = recorder
        self.logger = logger
        self.journal = journal
        self.saveEverySeconds = saveEverySeconds
        narrator = Narrator(positionLogIntervalSeconds: positionLogIntervalSeconds)
    }

    public var engine: TradingEngine { desk.engine }
    public var exchange: PaperExchange { desk.exchange }

    public func process(_ snapshot: ScanSnapshot, at now: Timestamp) {
        run(at: now) { desk, submitting in desk.handle(.snapshot(snapshot), at: now, submitting: submitting) }
    }

    public func price(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true) {
        run(at: time) { desk, submitting in
            desk.price(symbol, price, at: time, continuous: continuous, submitting: submitting)
        }
    }

    public func tick(at time: Timestamp) {
        run(at: time) { desk, submitting in desk.handle(.tick(time), at: time, submitting: submitting) }
    }

    /// Brings the engine in line with the exchange (at start-up and periodically) and says so loudly when they
    /// differed.
    @discardableResult
    public func reconcile(at time: Timestamp) -> ReconciliationReport {
        let journal = self.journal
        let (report, step) = desk.reconcile(at: time) { request in try journal?.recordIntent(request, at: time) }
        var entry = step.journal
        narrate(step.notes, at: time)
        // One line every time, differences or not: a trader reading the log sees that it ran and what it compared.
        logger.log(level: report.isClean ? .info : .warning, "♻️ \(report.summary)")
        save(&entry, at: time, force: !report.isClean)
        return report
    }

    /// The last call of a run: closes positions if the settings say so, and saves the final state.
    public func shutdown(at time: Timestamp) {
        run(at: time, forceSave: true) { desk, submitting in
            desk.handle(.shutdown(time), at: time, submitting: submitting)
        }
    }

    private func run(at time: Timestamp, forceSave: Bool = false,
                     _ body: (inout PaperDesk, (OrderRequest) throws -> Void) -> PaperDesk.Step) {
        // The engine re-validates a signal just before ordering: the age of the signal at submission is the time
        // from here to the order leaving.
        let started = ContinuousClock.now
        let journal = self.journal
        var step = body(&desk) { request in
            // Written before the order is sent: a crash after this line leaves a trace to resolve on restart.
            try journal?.recordIntent(request, at: time)
            self.recorder.recordSubmission(request, signalAge: ContinuousClock.now - started)
        }
        narrate(step.notes, at: time)
        save(&step.journal, at: time, force: forceSave)
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
        }
        entry.engine = desk.engine.state
        entry.exchange = desk.exchange
        entry.equity = desk.engine.equity
        do {
            try journal.commit(entry)
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
            if let (level, message) = narrator.line(for: note, at: time, engine: desk.engine) {
                logger.log(level: level, "\(message)")
            }
        }
    }
}
