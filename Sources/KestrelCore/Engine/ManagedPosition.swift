/// An open position as the engine manages it: size, protective stop and the state of every exit rule.
public struct ManagedPosition: Sendable, Equatable {
    /// What last placed the stop where it is, so a stop-out is reported with the right reason.
    public enum StopKind: String, Sendable, Equatable, Codable {
        case initial
        case breakEven = "break_even"
        case trailing
    }

    /// Where the position's newest stop order stands with the venue.
    public enum StopState: String, Sendable, Equatable, Codable {
        /// Sent, and not yet acknowledged: it may rest already, or never arrive.
        case pending
        /// The venue acknowledged it: it rests there, and protects the position even if Kestrel dies.
        case acknowledged
        /// No stop rests: refused, or removed by the venue. The engine watches the stop price itself and sends a
        /// new one.
        case missing
    }

    /// A take-profit order resting on the exchange: why it exits, and how many lots of it are still to fill.
    public struct TargetOrder: Sendable, Equatable, Codable {
        public var reason: ExitReason
        public var lots: Int

        public init(reason: ExitReason, lots: Int) {
            self.reason = reason
            self.lots = lots
        }
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
    /// The newest stop order sent for the position.
    public var stopOrderID: ClientOrderID?
    public var stopState: StopState = .pending
    /// The lots the newest stop was sent for.
    public var stopLots = 0
    /// An earlier, acknowledged stop that still rests while its replacement (`stopOrderID`) is not yet
    /// acknowledged: a stop is replaced new first, old cancelled after, so the position is never without one.
    public var standingStopID: ClientOrderID? = nil
    /// Since when no acknowledged stop has rested for the position (nil: one does).
    public var unprotectedSince: Timestamp? = nil
    /// After a refused stop, the next is not sent before this time.
    public var stopRetryAfter: Timestamp? = nil
    /// When the stop was last sent or moved: moves are spaced by `EngineSettings.stopAmendIntervalSeconds`.
    public var stopSentAt: Timestamp? = nil
    /// The entry order while it is still filling (an entry can fill in pieces), and the lots it has yet to fill.
    public var entryOrderID: ClientOrderID? = nil
    public var entryLotsLeft = 0
    public var takeProfitPrice: Double
    /// Base trailing distance for this position (from its volatility).
    public var trailDistance: Double
    /// The most favourable price since entry.
    public var bestPrice: Double
    public var partialsTaken: Int
    /// After a refused partial take-profit (the fallback market order), the next is not sent before this time.
    public var partialRetryAfter: Timestamp? = nil
    /// Take-profit and partial take-profit orders resting on the exchange, with the reason each one exits for.
    public var targetOrders = OrderIDMap<TargetOrder>()
    /// A market exit in flight: no other exit is sent until it has filled or is gone.
    public var exitOrderID: ClientOrderID?
    public var exitReason: ExitReason?
    /// The lots of the exit in flight still to fill (an exit can fill in pieces).
    public var exitLotsLeft = 0
    public var equityAtEntry: Double
    public var fees: Double
    public var funding: Double
    /// When the last funding payment counted for the position was due.
    public var lastFundingAt: Timestamp? = nil
    public var realizedPnL: Double
    /// Sum of exit price x lots, for the average exit price.
    public var exitValue: Double
    public var exitedLots: Int

    /// Whether an acknowledged stop rests for the position: the newest, or the one it replaces.
    public var isProtected: Bool { stopState == .acknowledged || standingStopID != nil }

    /// Every order of the position's that may rest on the venue: its stops (the newest and the one it replaces), the
    /// rest of its entry, its exit and its targets.
    var orderIDs: [ClientOrderID] {
        [stopOrderID, standingStopID, entryOrderID, exitOrderID].compactMap { $0 } + targetOrders.keys
    }

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

extension ManagedPosition: Codable {
    enum CodingKeys: String, CodingKey {
        case symbol, instrument, side, lots, initialLots, entryPrice, leverage, openedAt, stopDistance, stopPrice
        case stopKind, stopOrderID, stopState, stopLots, standingStopID, unprotectedSince, stopRetryAfter, stopSentAt
        case entryOrderID, entryLotsLeft, takeProfitPrice, trailDistance, bestPrice, partialsTaken, partialRetryAfter
        case targetOrders, exitOrderID, exitReason, exitLotsLeft, equityAtEntry, fees, funding, lastFundingAt, realizedPnL
        case exitValue, exitedLots
    }

    /// Reads the saved form of this version and of earlier ones, which knew no stop state, entry in flight or
    /// target sizes: a stop saved then was resting (acknowledged), and a target's size is taken as the position's.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try c.decode(String.self, forKey: .symbol)
        instrument = try c.decode(Instrument.self, forKey: .instrument)
        side = try c.decode(PositionSide.self, forKey: .side)
        lots = try c.decode(Int.self, forKey: .lots)
        initialLots = try c.decode(Int.self, forKey: .initialLots)
        entryPrice = try c.decode(Double.self, forKey: .entryPrice)
        leverage = try c.decode(Int.self, forKey: .leverage)
        openedAt = try c.decode(Timestamp.self, forKey: .openedAt)
        stopDistance = try c.decode(Double.self, forKey: .stopDistance)
        stopPrice = try c.decode(Double.self, forKey: .stopPrice)
        stopKind = try c.decode(StopKind.self, forKey: .stopKind)
        stopOrderID = try c.decodeIfPresent(ClientOrderID.self, forKey: .stopOrderID)
        stopState = try c.decodeIfPresent(StopState.self, forKey: .stopState)
            ?? (stopOrderID == nil ? .missing : .acknowledged)
        stopLots = try c.decodeIfPresent(Int.self, forKey: .stopLots) ?? initialLots
        standingStopID = try c.decodeIfPresent(ClientOrderID.self, forKey: .standingStopID)
        unprotectedSince = try c.decodeIfPresent(Timestamp.self, forKey: .unprotectedSince)
        stopRetryAfter = try c.decodeIfPresent(Timestamp.self, forKey: .stopRetryAfter)
        stopSentAt = try c.decodeIfPresent(Timestamp.self, forKey: .stopSentAt)
        entryOrderID = try c.decodeIfPresent(ClientOrderID.self, forKey: .entryOrderID)
        entryLotsLeft = try c.decodeIfPresent(Int.self, forKey: .entryLotsLeft) ?? 0
        takeProfitPrice = try c.decode(Double.self, forKey: .takeProfitPrice)
        trailDistance = try c.decode(Double.self, forKey: .trailDistance)
        bestPrice = try c.decode(Double.self, forKey: .bestPrice)
        partialsTaken = try c.decode(Int.self, forKey: .partialsTaken)
        partialRetryAfter = try c.decodeIfPresent(Timestamp.self, forKey: .partialRetryAfter)
        if let targets = try? c.decode(OrderIDMap<TargetOrder>.self, forKey: .targetOrders) {
            targetOrders = targets
        } else {
            let reasons = try c.decodeIfPresent([ClientOrderID: ExitReason].self, forKey: .targetOrders) ?? [:]
            targetOrders = OrderIDMap(reasons.mapValues { [lots] in TargetOrder(reason: $0, lots: lots) })
        }
        exitOrderID = try c.decodeIfPresent(ClientOrderID.self, forKey: .exitOrderID)
        exitReason = try c.decodeIfPresent(ExitReason.self, forKey: .exitReason)
        exitLotsLeft = try c.decodeIfPresent(Int.self, forKey: .exitLotsLeft) ?? (exitOrderID == nil ? 0 : lots)
        equityAtEntry = try c.decode(Double.self, forKey: .equityAtEntry)
        fees = try c.decode(Double.self, forKey: .fees)
        funding = try c.decode(Double.self, forKey: .funding)
        lastFundingAt = try c.decodeIfPresent(Timestamp.self, forKey: .lastFundingAt)
        realizedPnL = try c.decode(Double.self, forKey: .realizedPnL)
        exitValue = try c.decode(Double.self, forKey: .exitValue)
        exitedLots = try c.decode(Int.self, forKey: .exitedLots)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(symbol, forKey: .symbol)
        try c.encode(instrument, forKey: .instrument)
        try c.encode(side, forKey: .side)
        try c.encode(lots, forKey: .lots)
        try c.encode(initialLots, forKey: .initialLots)
        try c.encode(entryPrice, forKey: .entryPrice)
        try c.encode(leverage, forKey: .leverage)
        try c.encode(openedAt, forKey: .openedAt)
        try c.encode(stopDistance, forKey: .stopDistance)
        try c.encode(stopPrice, forKey: .stopPrice)
        try c.encode(stopKind, forKey: .stopKind)
        try c.encodeIfPresent(stopOrderID, forKey: .stopOrderID)
        try c.encode(stopState, forKey: .stopState)
        try c.encode(stopLots, forKey: .stopLots)
        try c.encodeIfPresent(standingStopID, forKey: .standingStopID)
        try c.encodeIfPresent(unprotectedSince, forKey: .unprotectedSince)
        try c.encodeIfPresent(stopRetryAfter, forKey: .stopRetryAfter)
        try c.encodeIfPresent(stopSentAt, forKey: .stopSentAt)
        try c.encodeIfPresent(entryOrderID, forKey: .entryOrderID)
        try c.encode(entryLotsLeft, forKey: .entryLotsLeft)
        try c.encode(takeProfitPrice, forKey: .takeProfitPrice)
        try c.encode(trailDistance, forKey: .trailDistance)
        try c.encode(bestPrice, forKey: .bestPrice)
        try c.encode(partialsTaken, forKey: .partialsTaken)
        try c.encodeIfPresent(partialRetryAfter, forKey: .partialRetryAfter)
        try c.encode(targetOrders, forKey: .targetOrders)
        try c.encodeIfPresent(exitOrderID, forKey: .exitOrderID)
        try c.encodeIfPresent(exitReason, forKey: .exitReason)
        try c.encode(exitLotsLeft, forKey: .exitLotsLeft)
        try c.encode(equityAtEntry, forKey: .equityAtEntry)
        try c.encode(fees, forKey: .fees)
        try c.encode(funding, forKey: .funding)
        try c.encodeIfPresent(lastFundingAt, forKey: .lastFundingAt)
        try c.encode(realizedPnL, forKey: .realizedPnL)
        try c.encode(exitValue, forKey: .exitValue)
        try c.encode(exitedLots, forKey: .exitedLots)
    }
}
