/// The engine wired to the paper exchange, synchronously: every command the engine gives is executed at once and
/// every resulting fill, funding payment or rejection goes straight back to the engine, until nothing is left to do.
///
/// `kestrel run` drives one of these from concurrent services; a backtest drives it from a loop at full speed.
public struct PaperDesk: Sendable {
    public var engine: TradingEngine
    public var exchange: PaperExchange
    /// Whether each step's journal entry lists the fills, funding and order outcomes. A backtest, which reads the
    /// engine's statistics and keeps no journal, turns it off rather than build lists nobody reads.
    public var recordsJournal = true

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
            var step = Step(time: time)
            run([.price(symbol: symbol, price: price, time: time)], at: time, into: &step, submitting: submitting)
            return step
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
        let happened = exchange.updatePrice(slot: route.exchangeSlot, price, at: time, continuous: continuous)
        if happened.isEmpty {
            // Most prices fill nothing: the engine hears the price straight away, with no queue to build.
            let output = engine.price(slot: route.engineSlot, price, at: time)
            guard !output.commands.isEmpty || !output.notes.isEmpty else { return }
            var made = Step(time: time)
            run(absorb(output, at: time, into: &made, submitting: submitting), at: time, into: &made,
                submitting: submitting)
            step = made
            return
        }
        var made = Step(time: time)
        run(happened.map(EngineEvent.exchange) + [.price(symbol: symbol, price: price, time: time)], at: time,
            into: &made, submitting: submitting)
        step = made
    }

    /// Feeds one event and carries out what follows from it.
    public mutating func handle(_ event: EngineEvent, at time: Timestamp,
                                submitting: (OrderRequest) throws -> Void = { _ in }) -> Step {
        var step = Step(time: time)
        run([event], at: time, into: &step, submitting: submitting)
        return step
    }

    /// Reconciles the engine with the exchange and carries out what that requires (new stops).
    public mutating func reconcile(at time: Timestamp, submitting: (OrderRequest) throws -> Void = { _ in })
        -> (ReconciliationReport, Step) {
        let exchange = self.exchange
        let (report, output) = engine.reconcile(positions: exchange.positions, restingOrders: exchange.restingOrders,
                                                wallet: exchange.wallet, knownOrder: { exchange.hasSeen($0) }, at: time)
        var step = Step(time: time)
        let followUps = absorb(output, at: time, into: &step, submitting: submitting)
        run(followUps, at: time, into: &step, submitting: submitting)
        return (report, step)
    }

    private mutating func run(_ events: [EngineEvent], at time: Timestamp, into step: inout Step,
                              submitting: (OrderRequest) throws -> Void) {
        var queue = events
        var index = 0
        while index < queue.count {
            let event = queue[index]
            index += 1
            record(event, into: &step.journal)
            queue += absorb(engine.handle(event), at: time, into: &step, submitting: submitting)
        }
    }

    /// Takes the engine's notes into `step` and carries out its commands on the exchange; returns the events that
    /// follow (fills, rejections), for the engine to hear next.
    private mutating func absorb(_ output: TradingEngine.Output, at time: Timestamp, into step: inout Step,
                                 submitting: (OrderRequest) throws -> Void) -> [EngineEvent] {
        step.notes += output.notes
        for note in output.notes { if case .closed(let trade) = note { step.journal.closedTrades.append(trade) } }
        var followUps = [EngineEvent]()
        for command in output.commands {
            switch command {
            case .place(let request):
                do {
                    try submitting(request)
                } catch {
                    followUps.append(.rejected(request, .notRecorded("\(error)"), time: time))
                    continue
                }
                switch exchange.submit(request, at: time) {
                case .success(let events):
                    if recordsJournal { step.journal.outcomes.append(.accepted(request.id)) }
                    followUps += events.map(EngineEvent.exchange)
                case .failure(let rejection):
                    followUps.append(.rejected(request, rejection, time: time))
                }
            case .cancel(let id, _):
                // Already gone (filled or dropped with its position) is the outcome a cancel wants.
                if case .success = exchange.cancel(id), recordsJournal { step.journal.outcomes.append(.cancelled(id)) }
            case .amendStop(let id, let symbol, let trigger):
                // A stop the exchange no longer has is gone: the engine hears so and watches the stop itself. Any
                // other refusal leaves the stop resting where it was, still protecting the position.
                if case .failure(.unknownOrder) = exchange.amend(id, price: trigger) {
                    followUps.append(.exchange(.orderCancelled(id, symbol: symbol)))
                }
            }
        }
        return followUps
    }

    private func record(_ event: EngineEvent, into journal: inout JournalEntry) {
        guard recordsJournal else { return }
        switch event {
        case .exchange(.fill(let fill)): journal.fills.append(fill)
        case .exchange(.funding(let symbol, let amount, let time)):
            journal.funding.append(FundingPayment(symbol: symbol, amount: amount, time: time))
        case .exchange(.orderCancelled(let id, _)): journal.outcomes.append(.cancelled(id))
        case .rejected(let request, let rejection, _):
            journal.outcomes.append(.rejected(request.id, reason: rejection.description))
        default: break
        }
    }
}
