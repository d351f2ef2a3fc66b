/// An open position as the engine manages it: size, protective stop and the state of every exit rule.
public struct ManagedPosition: Sendable, Equatable, Codable {
    /// What last placed the stop where it is, so a stop-out is reported with the right reason.
    public enum StopKind: String, Sendable, Equatable, Codable {
        case initial
        case breakEven = "break_even"
        case trailing
    }

    public var symbol: String
    public var instrument: Instrument
    public var side: PositionSide
    public var lots: Int
    public var initialLots: Int
    public var entryPrice: Double
    public var leverage: Int
    public var openedAt: Timestamp
    /// Fraction of the entry price to the initial stop; the take profit is twice as far.
    public var stopDistance: Double
    public var stopPrice: Double
    public var stopKind: StopKind
    public var stopOrderID: ClientOrderID?
    public var takeProfitPrice: Double
    /// Base trailing distance for this position (from its volatility).
    public var trailDistance: Double
    /// The most favourable price since entry.
    public var bestPrice: Double
    public var partialsTaken: Int
    /// After a refused partial take-profit (the fallback market order), the next is not sent before this time.
    public var partialRetryAfter: Timestamp? = nil
    /// Take-profit and partial take-profit orders resting on the exchange, with the reason each one exits for.
    public var targetOrders = OrderIDMap<ExitReason>()
    /// A market exit in flight: no other exit is sent until it is answered.
    public var exitOrderID: ClientOrderID?
    public var exitReason: ExitReason?
    public var equityAtEntry: Double
    public var fees: Double
    public var funding: Double
    public var realizedPnL: Double
    /// Sum of exit price x lots, for the average exit price.
    public var exitValue: Double
    public var exitedLots: Int

    /// The price move in the position's favour, as a fraction of entry.
    public func move(at price: Double) -> Double { Self.move(side, from: entryPrice, to: price) }

    static func move(_ side: PositionSide, from entry: Double, to price: Double) -> Double {
        side.sign * (price / entry - 1)
    }

    /// The trade this position makes once closed at an average `exitPrice` at `time`: net of fees, with funding.
    func closedTrade(exitPrice: Double, at time: Timestamp, reason: ExitReason) -> ClosedTrade {
        ClosedTrade(symbol: symbol, side: side, lots: initialLots, entryPrice: entryPrice, exitPrice: exitPrice,
                    openedAt: openedAt, closedAt: time, reason: reason, pnl: realizedPnL - fees + funding, fees: fees,
                    funding: funding)
    }

    public func unrealizedPnL(at price: Double) -> Double {
        side.pnl(from: entryPrice, to: price, quantity: instrument.baseQuantity(lots: lots))
    }
}
