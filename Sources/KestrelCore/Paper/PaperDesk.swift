/// The engine wired to the paper exchange, synchronously: every command the engine gives is executed at once and
/// every resulting fill, funding payment or rejection goes straight back to the engine, until nothing is left to do.
///
/// `kestrel run` drives one of these from concurrent services; a backtest drives it from a loop at full speed.
public struct PaperDesk: Sendable {
    public var engine: TradingEngine
    public var exchange: PaperExchange

    public init(engine: TradingEngine, exchange: PaperExchange) {
        self.engine = engine
        self.exchange = exchange
    }

    /// A new trade price: the exchange sees it first (stops, limits, funding, liquidation), then the engine.
    public mutating func price(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true,
                               submitted: (OrderRequest) -> Void = { _ in }) -> [EngineNote] {
        var notes = [EngineNote]()
        var queue = exchange.updatePrice(symbol, price, at: time, continuous: continuous).map(EngineEvent.exchange)
        queue.append(.price(symbol: symbol, price: price, time: time))
        for event in queue { notes += handle(event, at: time, submitted: submitted) }
        return notes
    }

    /// Feeds one event and carries out what follows from it. `submitted` is called as each order goes out.
    public mutating func handle(_ event: EngineEvent, at time: Timestamp,
                                submitted: (OrderRequest) -> Void = { _ in }) -> [EngineNote] {
        var notes = [EngineNote]()
        var queue = [event]
        var index = 0
        while index < queue.count {
            let output = engine.handle(queue[index])
            index += 1
            notes += output.notes
            for command in output.commands {
                switch command {
                case .place(let request):
                    submitted(request)
                    switch exchange.submit(request, at: time) {
                    case .success(let events): queue += events.map(EngineEvent.exchange)
                    case .failure(let rejection): queue.append(.rejected(request, rejection, time: time))
                    }
                case .cancel(let id, _):
                    // Already gone (filled or dropped with its position) is the outcome a cancel wants.
                    _ = exchange.cancel(id)
                case .amendStop(let id, let symbol, let trigger):
                    if case .failure = exchange.amend(id, price: trigger) {
                        queue.append(.exchange(.orderCancelled(id, symbol: symbol)))
                    }
                }
            }
        }
        return notes
    }
}
