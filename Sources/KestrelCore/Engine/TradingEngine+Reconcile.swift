/// What a reconciliation found and did.
public struct ReconciliationReport: Sendable, Equatable {
    /// Positions the exchange has and the engine did not: adopted and protected with a stop.
    public var adopted: [String] = []
    /// Positions the engine had and the exchange does not: closed in the journal.
    public var closed: [String] = []
    /// Positions whose size differed: the exchange's size was taken.
    public var resized: [String] = []
    /// Positions whose stop the engine did not have on the exchange: a matching resting stop was taken as the stop,
    /// or a new one was placed.
    public var restopped: [String] = []
    /// Entries in flight the exchange never saw: dropped.
    public var droppedEntries: [ClientOrderID] = []
    /// Take-profit orders the engine counted on that no longer rest on the exchange: forgotten (the engine takes
    /// profit itself again).
    public var droppedTargets: [ClientOrderID] = []
    /// How far the engine's cash was from the exchange's wallet before it took the wallet's figure (0: agreed).
    public var cashCorrection = 0.0

    public var isClean: Bool {
        adopted.isEmpty && closed.isEmpty && resized.isEmpty && restopped.isEmpty && droppedEntries.isEmpty
            && droppedTargets.isEmpty && cashCorrection == 0
    }
}

extension TradingEngine {
    /// Brings the engine in line with what the exchange actually holds; the exchange is the truth about positions
    /// and orders. Runs at start-up (after a clean stop or a crash alike) and periodically.
    ///
    /// `wallet`, when the venue reports one, replaces the engine's cash: fees, funding or fills the engine missed
    /// (while it was down) are in the wallet, and sizing must start from what is really there.
    public mutating func reconcile(positions exchangePositions: [String: ExchangePosition],
                                   restingOrders: [OrderRequest], wallet: Double? = nil,
                                   knownOrder: (ClientOrderID) -> Bool,
                                   at time: Timestamp) -> (ReconciliationReport, Output) {
        var report = ReconciliationReport()
        var output = emptyOutput
        let resting = Dictionary(restingOrders.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if let wallet, wallet.isFinite {
            // Agreement to rounding noise (the two sum the same fills in different orders) is agreement.
            if abs(wallet - cash) > 1e-9 * max(1, abs(wallet)) { report.cashCorrection = wallet - cash }
            cash = wallet
        }

        for id in pendingEntries.keys where !knownOrder(id) {
            pendingEntries[id] = nil
            report.droppedEntries.append(id)
        }
        // In symbol order, as the book keeps them.
        for symbol in positions.keys where exchangePositions[symbol] == nil {
            guard let position = positions.removeValue(forKey: symbol) else { continue }
            bookReconciledClose(position, at: time, into: &output)
            report.closed.append(symbol)
        }
        for symbol in exchangePositions.keys.sorted() {
            guard let held = exchangePositions[symbol], let instrument = instruments[symbol] else { continue }
            if var position = positions[symbol], position.side == held.side {
                if position.lots != held.lots || position.entryPrice != held.entryPrice
                    || position.leverage != held.leverage {
                    // Added to or reduced while away: the exchange's size, average entry and leverage are the ones
                    // its PnL and margin follow.
                    position.lots = held.lots
                    position.initialLots = max(position.initialLots, held.lots)
                    position.entryPrice = held.entryPrice
                    position.leverage = held.leverage
                    positions[symbol] = position
                    report.resized.append(symbol)
                }
            } else {
                // Not held, or held the other way round (the stop, targets and entry the engine knew are for a
                // position that is gone): adopted as the exchange has it.
                if let gone = positions.removeValue(forKey: symbol) {
                    let orders = [gone.stopOrderID].compactMap { $0 } + gone.targetOrders.keys
                    for id in orders where resting[id] != nil { output.commands.append(.cancel(id, symbol: symbol)) }
                    bookReconciledClose(gone, at: time, into: &output)
                    report.resized.append(symbol)
                } else {
                    report.adopted.append(symbol)
                }
                // A stop already resting for it is taken up below; this is the stop it gets otherwise.
                let stopDistance = RiskManager.stopDistance(volatility: 0.05)
                positions[symbol] = ManagedPosition(
                    symbol: symbol, instrument: instrument, side: held.side, lots: held.lots, initialLots: held.lots,
                    entryPrice: held.entryPrice, leverage: held.leverage, openedAt: time, stopDistance: stopDistance,
                    stopPrice: instrument.roundToTick(held.entryPrice * (1 - held.side.sign * stopDistance)),
                    stopKind: .initial, stopOrderID: nil,
                    takeProfitPrice: instrument.roundToTick(held.entryPrice * (1 + held.side.sign * 2 * stopDistance)),
                    trailDistance: settings.risk.trailingStopPercentage, bestPrice: held.entryPrice,
                    partialsTaken: 0, exitOrderID: nil, exitReason: nil, equityAtEntry: equity, fees: 0, funding: 0,
                    realizedPnL: 0, exitValue: 0, exitedLots: 0)
            }
            guard var position = positions[symbol] else { continue }
            if position.exitOrderID.map({ resting[$0] == nil && !knownOrder($0) }) == true {
                position.exitOrderID = nil
                position.exitReason = nil
            }
            for id in position.targetOrders.keys where resting[id] == nil {
                position.targetOrders[id] = nil
                report.droppedTargets.append(id)
            }
            // A stop for this position that already rests there (adopted, or one the engine lost track of) is its
            // stop, rather than a second one beside it.
            if position.stopOrderID.map({ resting[$0] == nil }) ?? true,
               let existing = restingOrders.first(where: { order in
                   guard case .stopMarket = order.kind else { return false }
                   return order.symbol == symbol && order.reduceOnly && order.side == position.side.exitSide
               }), case .stopMarket(let trigger) = existing.kind {
                position.stopOrderID = existing.id
                position.stopLots = existing.lots
                position.stopState = .acknowledged
                position.standingStopID = nil
                position.unprotectedSince = nil
                position.stopPrice = trigger
                if !report.adopted.contains(symbol) { report.restopped.append(symbol) }
            }
            // A stop for less than the position leaves part of it unprotected: it is replaced. A larger one covers
            // it (a reduce-only order fills only up to the position), as the stop does after a partial exit.
            if let id = position.stopOrderID, let stop = resting[id], stop.lots < position.lots {
                output.commands.append(.cancel(id, symbol: symbol))
                position.stopOrderID = nil
            }
            if let id = position.stopOrderID, resting[id] != nil {
                position.stopState = .acknowledged
                position.unprotectedSince = nil
            }
            if position.stopOrderID.map({ resting[$0] == nil }) ?? true {
                position.stopOrderID = nil
                position.stopState = .missing
                position.standingStopID = nil
                sendStop(for: &position, at: time, into: &output)
                if !report.adopted.contains(symbol), !report.restopped.contains(symbol) { report.restopped.append(symbol) }
            }
            positions[symbol] = position
        }
        revalueAll()
        return (report, output)
    }

    /// Books a position the exchange no longer holds as closed, at the last price known, with the reason
    /// `reconciliation`.
    private mutating func bookReconciledClose(_ position: ManagedPosition, at time: Timestamp,
                                              into output: inout Output) {
        let trade = position.closedTrade(exitPrice: marks.price(position.symbol) ?? position.entryPrice, at: time,
                                         reason: .reconciliation)
        statistics.closedTrades.append(trade)
        output.note(.closed(trade))
    }
}
