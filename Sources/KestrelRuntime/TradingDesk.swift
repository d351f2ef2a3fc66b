public import KestrelCore
public import Logging

/// The one owner of the engine and the exchange it trades on. Services send it events; it runs the deterministic
/// engine, carries out the engine's commands and reports what happened.
///
/// Each call runs to completion without suspending, so an order in flight always completes, and a price update or
/// a monitor tick never waits for anything but the call before it.
public actor TradingDesk {
    private var desk: PaperDesk
    private let recorder: RunRecorder
    private let logger: Logger
    private let narrator: Narrator

    public init(desk: PaperDesk, recorder: RunRecorder, logger: Logger, positionLogIntervalSeconds: Int64 = 1800) {
        self.desk = desk
        self.recorder = recorder
        self.logger = logger
        narrator = Narrator(positionLogIntervalSeconds: positionLogIntervalSeconds)
    }

    public var engine: TradingEngine { desk.engine }
    public var exchange: PaperExchange { desk.exchange }

    public func process(_ snapshot: ScanSnapshot, at now: Timestamp) {
        run(.snapshot(snapshot), at: now)
    }

    public func price(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true) {
        let started = ContinuousClock.now
        let notes = desk.price(symbol, price, at: time, continuous: continuous) { request in
            self.recorder.recordSubmission(request, signalAge: ContinuousClock.now - started)
        }
        narrate(notes, at: time)
    }

    public func tick(at time: Timestamp) {
        run(.tick(time), at: time)
    }

    /// The last call of a run: closes positions if the settings say so.
    public func shutdown(at time: Timestamp) {
        run(.shutdown(time), at: time)
    }

    private func run(_ event: EngineEvent, at time: Timestamp) {
        // The engine re-validates a signal just before ordering: the age of the signal at submission is the time
        // from here to the order leaving.
        let started = ContinuousClock.now
        let notes = desk.handle(event, at: time) { request in
            self.recorder.recordSubmission(request, signalAge: ContinuousClock.now - started)
        }
        narrate(notes, at: time)
    }

    private func narrate(_ notes: [EngineNote], at time: Timestamp) {
        for note in notes {
            if let (level, message) = narrator.line(for: note, at: time, engine: desk.engine) {
                logger.log(level: level, "\(message)")
            }
        }
    }
}
