/// The engine wired to the paper exchange, synchronously: every command the engine gives is executed at once and
/// every resulting fill, funding payment or rejection goes straight back to the engine, until nothing is left to do.
///
/// A backtest drives one of these from a loop at full speed; `kestrel run` trades on the same exchange through the
/// venue protocol instead (the runtime's `PaperVenue`).
public struct PaperDesk: Sendable {
    public var engine: TradingEngine
    public var exchange: PaperExchange
    /// Whether each step's journal entry lists the fills, funding and order outcomes. A backtest, which reads the
    /// engine's statistics and keeps no journal, turns it off rather than build lists nobody reads.
    public var recordsJournal = true
    /// Buffers kept from call to call, so that a price or an order costs no new arrays.
    private var scratch = Scratch()

    public init(engine: TradingEngine, exchange: PaperExchange) {
        self.engine = engine
        self.exchange = exchange
    }

    /// What one call did: the engine's notes and what the journal must record.
    public struct Step: Sendable {
        public var notes: [EngineNote] = []
        public var journal: JournalEntry

        init(time: Timestamp) { journal = JournalEntry(time: time) }
    }

    /// The buffers one call works in: the events still to be heard, what the exchange just did, and what the
    /// engine just said. Taken out of the desk for the call and put back emptied, their storage kept.
    private struct Scratch {
        var queue: [EngineEvent] = []
        var exchangeEvents: [ExchangeEvent] = []
        var output = TradingEngine.Output(recordsNotes: false)

        /// Only arrays with something in them are emptied: emptying an empty one is not free, and nearly every
        /// price leaves them all empty.
        mutating func removeAll() {
            if !queue.isEmpty { queue.removeAll(keepingCapacity: true) }
            if !exchangeEvents.isEmpty { exchangeEvents.removeAll(keepingCapacity: true) }
            output.removeAll()
        }
    }

    /// Runs `body` with the scratch buffers (as they are), which it owns alone meanwhile; leaves them empty.
    private mutating func withScratch<R>(_ body: (inout PaperDesk, inout Scratch) -> R) -> R {
        var scratch = Scratch()
        swap(&scratch, &self.scratch)
        scratch.output.recordsNotes = engine.settings.recordsNotes
        defer {
            scratch.removeAll()
            swap(&scratch, &self.scratch)
        }
        return body(&self, &scratch)
    }

    /// Where a symbol's prices go: its slot on the exchange and in the engine, looked up once.
    public struct PriceRoute: Sendable {
        public let symbol: String
        let exchangeSlot: Int
        let engineSlot: Int
    }

    /// The route of `symbol`'s prices; nil for a symbol the exchange does not list.
    public mutating func route(_ symbol: String) -> PriceRoute? {
        guard let exchangeSlot = exchange.slot(of: symbol) else { return nil }
        return PriceRoute(symbol: symbol, exchangeSlot: exchangeSlot, engineSlot: engine.priceSlot(of: symbol))
    }

    /// A new trade price: the exchange sees it first (stops, limits, funding, liquidation), then the engine.
    /// `submitting` is called just before each order goes out; if it throws, the order is not sent.
    public mutating func price(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true,
                               submitting: (OrderRequest) throws -> Void = { _ in }) -> Step {
        guard let route = route(symbol) else {
            // Not listed: the exchange ignores it, the engine still hears it (as it always has).
            return handle(.price(symbol: symbol, price: price, time: time), at: time, submitting: submitting)
        }
        return self.price(route, price, at: time, continuous: continuous, submitting: submitting)
    }

    /// `price(_:_:at:continuous:submitting:)` along a route from `route(_:)`, with no lookup by name: what a
    /// backtest calls for every point of every bar. A route made for another engine or exchange (one swapped in
    /// since) is not followed: the price goes by name.
    public mutating func price(_ route: PriceRoute, _ price: Double, at time: Timestamp, continuous: Bool = true,
                               submitting: (OrderRequest) throws -> Void = { _ in }) -> Step {
        var step: Step?
        deliver(route, price, at: time, continuous: continuous, submitting: submitting, into: &step)
        return step ?? Step(time: time)
    }

    /// `price(_:_:continuous:submitting:)` along a route for a caller that reads nothing back (a backtest): the
    /// price that fills nothing and asks nothing of the engine, nearly every price, makes no step at all.
    public mutating func feed(_ route: PriceRoute, _ price: Double, at time: Timestamp, continuous: Bool) {
        var step: Step?
        deliver(route, price, at: time, continuous: continuous, submitting: { _ in }, into: &step)
    }

    /// Delivers a price along `route`; `step` is made only when something happens.
    private mutating func deliver(_ route: PriceRoute, _ price: Double, at time: Timestamp, continuous: Bool,
                                  submitting: (OrderRequest) throws -> Void, into step: inout Step?) {
        let symbol = route.symbol
        guard exchange.slot(route.exchangeSlot, is: symbol), engine.priceSlot(route.engineSlot, is: symbol) else {
            step = self.price(symbol, price, at: time, continuous: continuous, submitting: submitting)
            return
        }
        // Most prices fill nothing and ask nothing of the engine. They use the buffers where they lie, and leave
        // them empty: the engine hears the price straight away, with no queue to build.
        exchange.updatePrice(slot: route.exchangeSlot, price, at: time, continuous: continuous,
                             into: &scratch.exchangeEvents)
        let filled = !scratch.exchangeEvents.isEmpty
        if !filled {
            scratch.output.recordsNotes = engine.settings.recordsNotes
            engine.price(slot: route.engineSlot, price, at: time, into: &scratch.output)
            if scratch.output.commands.isEmpty, scratch.output.notes.isEmpty { return }
        }
        withScratch { desk, scratch in
            var made = Step(time: time)
            if filled {
                // The engine hears what the exchange did first, then the price.
                for event in scratch.exchangeEvents { scratch.queue.append(.exchange(event)) }
                scratch.queue.append(.price(symbol: symbol, price: price, time: time))
            } else {
                desk.absorb(&scratch, at: time, into: &made, submitting: submitting)
            }
            desk.run(&scratch, at: time, into: &made, submitting: submitting)
            step = made
        }
    }

    /// Feeds one event and carries out what follows from it.
    public mutating func handle(_ event: EngineEvent, at time: Timestamp,
                                submitting: (OrderRequest) throws -> Void = { _ in }) -> Step {
        var step = Step(time: time)
        // Most ticks ask nothing of the exchange: the engine hears them in the buffers where they lie.
        record(event, into: &step.journal)
        scratch.output.recordsNotes = engine.settings.recordsNotes
        engine.handle(event, into: &scratch.output)
        if scratch.output.commands.isEmpty, scratch.output.notes.isEmpty { return step }
        withScratch { desk, scratch in
            desk.absorb(&scratch, at: time, into: &step, submitting: submitting)
            desk.run(&scratch, at: time, into: &step, submitting: submitting)
        }
        return step
    }

    /// `handle(_:at:)` for a caller that reads nothing back (a backtest): an event that asks nothing of the
    /// exchange, nearly every tick, makes no step at all.
    public mutating func feed(_ event: EngineEvent, at time: Timestamp) {
        scratch.output.recordsNotes = engine.settings.recordsNotes
        engine.handle(event, into: &scratch.output)
        if scratch.output.commands.isEmpty, scratch.output.notes.isEmpty { return }
        withScratch { desk, scratch in
            var step = Step(time: time)
            desk.absorb(&scratch, at: time, into: &step, submitting: { _ in })
            desk.run(&scratch, at: time, into: &step, submitting: { _ in })
        }
    }

    /// Reconciles the engine with the exchange and carries out what that requires (new stops).
    public mutating func reconcile(at time: Timestamp, submitting: (OrderRequest) throws -> Void = { _ in })
        -> (ReconciliationReport, Step) {
        let (report, output) = engine.reconcile(with: exchange.snapshot, at: time)
        return withScratch { desk, scratch in
            var step = Step(time: time)
            scratch.output.commands = output.commands
            scratch.output.notes = output.notes
            desk.absorb(&scratch, at: time, into: &step, submitting: submitting)
            desk.run(&scratch, at: time, into: &step, submitting: submitting)
            return (report, step)
        }
    }

    /// Hears every event in `scratch.queue`, and every event that follows from them.
    private mutating func run(_ scratch: inout Scratch, at time: Timestamp, into step: inout Step,
                              submitting: (OrderRequest) throws -> Void) {
        var index = 0
        while index < scratch.queue.count {
            let event = scratch.queue[index]
            index += 1
            hear(event, &scratch, at: time, into: &step, submitting: submitting)
        }
    }

    /// The engine hears one event; what it asks for is carried out, and what follows goes on `scratch.queue`.
    private mutating func hear(_ event: EngineEvent, _ scratch: inout Scratch, at time: Timestamp,
                               into step: inout Step, submitting: (OrderRequest) throws -> Void) {
        record(event, into: &step.journal)
        scratch.output.removeAll()
        engine.handle(event, into: &scratch.output)
        absorb(&scratch, at: time, into: &step, submitting: submitting)
    }

    /// Takes the engine's notes (`scratch.output`) into `step` and carries out its commands on the exchange; the
    /// events that follow (fills, rejections) go on `scratch.queue`, for the engine to hear next.
    private mutating func absorb(_ scratch: inout Scratch, at time: Timestamp, into step: inout Step,
                                 submitting: (OrderRequest) throws -> Void) {
        if !scratch.output.notes.isEmpty {
            step.notes += scratch.output.notes
            for note in scratch.output.notes {
                if case .closed(let trade) = note { step.journal.closedTrades.append(trade) }
            }
        }
        for command in scratch.output.commands {
            switch command {
            case .place(let request):
                send(request, &scratch, at: time, into: &step, submitting: submitting) { exchange, events in
                    exchange.submit(request, at: time, into: &events)
                }
            case .cancel(let id, let symbol):
                // Already gone (filled or dropped with its position) is the outcome a cancel wants. A cancelled
                // order is reported, as a venue does: the engine forgets a target it cancelled while the position
                // stays open.
                guard case .success = exchange.cancel(id) else { break }
                if recordsJournal { step.journal.outcomes.append(.cancelled(id)) }
                scratch.queue.append(.exchange(.orderCancelled(id, symbol: symbol)))
            case .replaceStop(let old, let request):
                // A refused replacement leaves the old stop resting where it was, still protecting the position.
                let replaced = send(request, &scratch, at: time, into: &step, submitting: submitting) { exchange, events in
                    exchange.replace(old, with: request, at: time, into: &events)
                }
                if replaced, recordsJournal { step.journal.outcomes.append(.cancelled(old)) }
            }
        }
    }

    /// Sends one order (`order` does, on the exchange) once `submitting` let it go; the rejection or what the
    /// exchange did goes on `scratch.queue`, for the engine to hear next. True when the exchange took the order.
    @discardableResult
    private mutating func send(_ request: OrderRequest, _ scratch: inout Scratch, at time: Timestamp,
                               into step: inout Step, submitting: (OrderRequest) throws -> Void,
                               _ order: (inout PaperExchange, inout [ExchangeEvent]) -> OrderRejection?) -> Bool {
        do {
            try submitting(request)
        } catch {
            scratch.queue.append(.rejected(request, .notRecorded("\(error)"), time: time))
            return false
        }
        if !scratch.exchangeEvents.isEmpty { scratch.exchangeEvents.removeAll(keepingCapacity: true) }
        if let rejection = order(&exchange, &scratch.exchangeEvents) {
            scratch.queue.append(.rejected(request, rejection, time: time))
            return false
        }
        if recordsJournal { step.journal.outcomes.append(.accepted(request.id)) }
        for event in scratch.exchangeEvents { scratch.queue.append(.exchange(event)) }
        return true
    }

    private func record(_ event: EngineEvent, into journal: inout JournalEntry) {
        if recordsJournal { journal.record(event) }
    }
}
