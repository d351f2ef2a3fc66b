public import KestrelCore
import Synchronization

/// What became of an order the router sent, for the desk to tell the engine and the journal.
public enum OrderAnswer: Sendable {
    /// The venue acknowledged it.
    case accepted(OrderRequest)
    /// The venue refused it: it was not acted on.
    case rejected(OrderRequest, OrderRejection)
    /// The request may have acted and no answer came (a timeout, a dropped connection, a 5xx, a 429): it is being
    /// looked up by its client order id.
    case unknown(OrderRequest, reason: String)
    /// A lookup found it on the venue, as it stands there.
    case found(OrderRequest, VenueOrder)
    /// A cancel failed for good (reconciliation cancels the order later if it still rests).
    case cancelFailed(ClientOrderID, symbol: String, reason: String)
    /// The venue refused the account's key: no request on it can succeed any more, so the run must stop. Follows
    /// the answer for the order it happened to (refused; or, for one being looked up, no answer: it stays unknown
    /// for the next start to resolve).
    case authenticationRefused(reason: String)
}

/// Sends the engine's commands to a venue and reports what became of each one.
///
/// - Commands on one symbol go out in the order the engine gave them (a cancel never overtakes the order it
///   cancels); symbols do not wait for each other.
/// - A request that failed in a way that may have acted is never taken as refused: the order is looked up by its
///   client order id, with backoff, until the venue says; one the venue never received is sent again under the
///   same id, so it can only ever be placed once.
/// - The desk hands commands over without waiting (`submit`), so a slow venue never holds up a price or a tick.
///   Handing over takes no lock the sending tasks also take: a lock shared with them could be held by a thread
///   the scheduler just paused, and the order would wait milliseconds for it (the desk, not the router, keeps which
///   orders await an answer).
public final class OrderRouter: Sendable {
    public struct Counters: Sendable, Equatable {
        public var sent = 0
        public var outcomeUnknown = 0
        public var resolvedByLookup = 0
        public var resent = 0
    }

    private let venue: any Venue
    /// Told when each order starts on its way (how old its signal is then).
    private let recorder: RunRecorder?
    private let answersOut: AsyncStream<OrderAnswer>.Continuation
    /// What the router has answered, in order: the desk's service reads it.
    public let answers: AsyncStream<OrderAnswer>
    /// Counted by the sending tasks; read at the end of a run.
    private let counted = Mutex(Counters())
    /// The last command of each symbol, which the next one on that symbol waits for. Taken only by `submit`,
    /// `finish` and `cancel`, never by a sending task.
    private let lanes = Mutex(Lanes())
    /// Ends when the router is finished: `run()` waits on it.
    private let finishedSignal: AsyncStream<Never>
    private let finishedOut: AsyncStream<Never>.Continuation
    /// The first wait between lookups; it doubles up to `maximumBackoff`.
    private let backoff: Duration
    private let maximumBackoff: Duration

    private struct Lanes {
        var last: [String: Task<Void, Never>] = [:]
        var isFinished = false
    }

    public init(venue: any Venue, recorder: RunRecorder? = nil, backoff: Duration = .milliseconds(20),
                maximumBackoff: Duration = .seconds(5)) {
        self.venue = venue
        self.recorder = recorder
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
        (answers, answersOut) = AsyncStream.makeStream(of: OrderAnswer.self)
        (finishedSignal, finishedOut) = AsyncStream.makeStream(of: Never.self)
    }

    /// Hands a command over; returns at once. Ignored once the router is finished.
    ///
    /// - Parameter decidedAt: when the step that decided it began; the recorder hears how long before the order
    ///   started on its way that was (the order path: intent written, handed over, a sending task running it).
    public func submit(_ command: EngineCommand, decidedAt: ContinuousClock.Instant? = nil) {
        let symbol: String
        switch command {
        case .place(let order), .replaceStop(_, with: let order): symbol = order.symbol
        case .cancel(_, let on): symbol = on
        }
        lanes.withLock { lanes in
            guard !lanes.isFinished else { return }
            let previous = lanes.last[symbol]
            // Detached: a task made here would otherwise start on the caller's actor (the desk), which is busy.
            lanes.last[symbol] = Task.detached {
                await previous?.value
                await self.execute(command, decidedAt: decidedAt)
            }
        }
    }

    public var counters: Counters { counted.withLock { $0 } }

    /// Returns once the router is finished (`finish()` or `cancel()`) and what it had been handed is answered.
    public func run() async {
        for await _ in finishedSignal {}
        for lane in lanes.withLock({ Array($0.last.values) }) { await lane.value }
        answersOut.finish()
    }

    /// No more commands: `run()` returns once those already handed over are answered.
    public func finish() {
        lanes.withLock { $0.isFinished = true }
        finishedOut.finish()
    }

    /// Gives up on what is still being sent or looked up (the bot is stopping and cannot wait any longer): what it
    /// left unanswered, the journal's intents and the next reconciliation settle.
    public func cancel() {
        finish()
        for lane in lanes.withLock({ Array($0.last.values) }) { lane.cancel() }
    }

    private func execute(_ command: EngineCommand, decidedAt: ContinuousClock.Instant?) async {
        switch command {
        case .place(let order):
            await send(order, decidedAt: decidedAt) { venue, order async throws(VenueError) in
                try await venue.place(order)
            }
        case .replaceStop(let old, let order):
            await send(order, decidedAt: decidedAt) { venue, order async throws(VenueError) in
                try await venue.replaceStop(old, with: order)
            }
        case .cancel(let id, let symbol):
            await cancel(id, symbol: symbol)
        }
    }

    /// Sends `order` (`request` does) until the venue has said what became of it.
    private func send(_ order: OrderRequest, decidedAt: ContinuousClock.Instant?,
                      _ request: (any Venue, OrderRequest) async throws(VenueError) -> VenueOrder) async {
        if let decidedAt { recorder?.recordDeparture(order, signalAge: ContinuousClock.now - decidedAt) }
        counted.withLock { $0.sent += 1 }
        var wait = backoff
        while !Task.isCancelled {
            do {
                _ = try await request(venue, order)
                answersOut.yield(.accepted(order))
                return
            } catch let error where error.mayHaveActed {
                counted.withLock { $0.outcomeUnknown += 1 }
                answersOut.yield(.unknown(order, reason: error.description))
                guard let lookedUp = await lookUp(order) else { return }
                if let found = lookedUp {
                    counted.withLock { $0.resolvedByLookup += 1 }
                    answersOut.yield(.found(order, found))
                    return
                }
                // The venue never received it: sent again, under the same id.
                counted.withLock { $0.resent += 1 }
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, maximumBackoff)
            } catch .rejected(.duplicateOrderID) {
                // The venue has an order under this id already: this one, sent before. What became of it is asked.
                guard let lookedUp = await lookUp(order) else { return }
                if let found = lookedUp {
                    counted.withLock { $0.resolvedByLookup += 1 }
                    answersOut.yield(.found(order, found))
                } else {
                    answersOut.yield(.rejected(order, .duplicateOrderID(order.id)))
                }
                return
            } catch .authentication(let detail) {
                answersOut.yield(.rejected(order, .refused("authentication refused: \(detail)")))
                answersOut.yield(.authenticationRefused(reason: detail))
                return
            } catch {
                if case .rejected(let rejection) = error {
                    answersOut.yield(.rejected(order, rejection))
                } else {
                    answersOut.yield(.rejected(order, .refused(error.description)))
                }
                return
            }
        }
    }

    /// Asks the venue about `order` until it answers: the order as it stands there, or nil inside when the venue
    /// never received it. Nil when cancelled (shutting down), or when the venue refuses the key (the run stops; the
    /// next start looks the order up).
    private func lookUp(_ order: OrderRequest) async -> VenueOrder?? {
        var wait = backoff
        while !Task.isCancelled {
            do {
                return .some(try await venue.order(order.id, symbol: order.symbol))
            } catch .authentication(let detail) {
                answersOut.yield(.authenticationRefused(reason: detail))
                return nil
            } catch {
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, maximumBackoff)
            }
        }
        return nil
    }

    private func cancel(_ id: ClientOrderID, symbol: String) async {
        var wait = backoff
        for _ in 0..<6 {
            do {
                try await venue.cancel(id, symbol: symbol)
                return
            } catch .notFound {
                return
            } catch let error where error.mayHaveActed {
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, maximumBackoff)
            } catch {
                answersOut.yield(.cancelFailed(id, symbol: symbol, reason: error.description))
                if case .authentication(let detail) = error { answersOut.yield(.authenticationRefused(reason: detail)) }
                return
            }
        }
        answersOut.yield(.cancelFailed(id, symbol: symbol, reason: "no answer after 6 tries"))
    }
}
