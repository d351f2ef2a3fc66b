/// What a reconciliation compared, found and did.
public struct ReconciliationReport: Sendable, Equatable {
    /// How many positions and open orders the venue reported.
    public var positionsCompared = 0
    public var ordersCompared = 0
    /// Fills in the venue's snapshot the engine had not counted (missed while away, or lost with the stream).
    public var fillsCounted = 0
    /// Positions the venue has and the engine did not, that Kestrel's own orders explain: taken on, with a stop.
    public var adopted: [String] = []
    /// Positions the engine had and the venue does not: closed in the books, their orders cancelled.
    public var closed: [String] = []
    /// Positions whose size, entry or side differed: the venue's were taken.
    public var resized: [String] = []
    /// Positions whose stop the engine did not have on the venue: a matching resting stop of Kestrel's was taken
    /// as the stop, or a new one was sent.
    public var restopped: [String] = []
    /// Positions whose resting stop had another trigger than the engine's: the tighter one was kept.
    public var stopsReadBack: [String] = []
    /// Entries in flight the venue never saw, or that ended unfilled: dropped.
    public var droppedEntries: [ClientOrderID] = []
    /// Take-profit orders the engine counted on that no longer rest on the venue: forgotten (the engine takes
    /// profit itself again).
    public var droppedTargets: [ClientOrderID] = []
    /// Orders carrying Kestrel's prefix that the engine does not know (an earlier run's, or a lost replacement's):
    /// cancelled.
    public var orphansCancelled: [ClientOrderID] = []
    /// Positions and orders that are not Kestrel's: left alone, and reported.
    public var foreignPositions: [String] = []
    public var foreignOrders: [ClientOrderID] = []
    /// How far the engine's cash was from the venue's wallet before it took the wallet's figure (0: agreed).
    public var cashCorrection = 0.0

    public init() {}

    /// Whether the engine and the venue agreed (foreign positions and orders, left alone, are no difference).
    public var isClean: Bool {
        fillsCounted == 0 && adopted.isEmpty && closed.isEmpty && resized.isEmpty && restopped.isEmpty
            && stopsReadBack.isEmpty && droppedEntries.isEmpty && droppedTargets.isEmpty && orphansCancelled.isEmpty
            && cashCorrection == 0
    }

    /// One line saying what was compared and what changed: "reconciled: 3 positions, 7 orders, no differences".
    public var summary: String {
        var line = "reconciled: \(positionsCompared) position\(positionsCompared == 1 ? "" : "s"), "
            + "\(ordersCompared) order\(ordersCompared == 1 ? "" : "s")"
        var changes = [String]()
        func add(_ label: String, _ items: [String]) {
            if !items.isEmpty { changes.append("\(label) \(items.joined(separator: " "))") }
        }
        if fillsCounted > 0 { changes.append("\(fillsCounted) missed fill\(fillsCounted == 1 ? "" : "s") counted") }
        add("adopted", adopted)
        add("closed", closed)
        add("resized", resized)
        add("restopped", restopped)
        add("stop read back", stopsReadBack)
        add("dropped entries", droppedEntries.map(\.rawValue))
        add("dropped targets", droppedTargets.map(\.rawValue))
        add("orphans cancelled", orphansCancelled.map(\.rawValue))
        if cashCorrection != 0 { changes.append("cash corrected by \(NumberText.compact(cashCorrection))") }
        line += changes.isEmpty ? ", no differences" : ": " + changes.joined(separator: "; ")
        if !foreignPositions.isEmpty || !foreignOrders.isEmpty {
            line += " (not Kestrel's, left alone: \((foreignPositions + foreignOrders.map(\.rawValue)).joined(separator: " ")))"
        }
        return line
    }
}

extension TradingEngine {
    /// Brings the engine in line with what the venue actually holds; the venue is the truth about positions,
    /// orders and the wallet. Runs at start-up (after a clean stop or a crash alike), after every reconnect, and
    /// periodically.
    ///
    /// - Fills in the snapshot are counted first, each once by its trade id: a late fill of an entry opens its
    ///   position (with its one stop) as if it had been heard on time.
    /// - `inFlight`: orders sent whose answer is still awaited (their outcome may be unknown). They may not show in
    ///   the snapshot yet, and are not taken for gone.
    /// - The wallet, when the venue reports one, replaces the engine's cash: fees, funding or fills the engine
    ///   missed are in it, and sizing must start from what is really there.
    public mutating func reconcile(with venue: VenueSnapshot, inFlight: Set<ClientOrderID> = [], at time: Timestamp)
        -> (ReconciliationReport, Output) {
        var report = ReconciliationReport()
        var output = emptyOutput
        report.positionsCompared = venue.positions.count
        report.ordersCompared = venue.openOrders.count
        let duplicatesBefore = statistics.duplicateFills
        // Kestrel's own fills, and the venue's liquidations of its positions: someone else's trades on the account
        // are not the engine's to book (the venue's positions, compared below, say what they did).
        let ownFills = venue.recentFills.filter(Self.isOwn)
        for fill in ownFills {
            apply(.fill(fill), into: &output)
        }
        // Funding missed counts too (before the positions are compared: it is paid on the positions held then).
        for payment in venue.recentFunding {
            apply(.funding(symbol: payment.symbol, amount: payment.amount, time: payment.time), into: &output)
        }
        report.fillsCounted = ownFills.count - (statistics.duplicateFills - duplicatesBefore)
        // Replayed fills are not news: the duplicates among them are the ones the engine had heard.
        statistics.duplicateFills = duplicatesBefore
        output.notes.removeAll { if case .duplicateFill = $0 { true } else { false } }

        var resting = [ClientOrderID: OrderRequest]()
        for order in venue.openOrders where resting[order.id] == nil { resting[order.id] = order.request }
        let restingOrders = venue.openOrders.map(\.request)
        if let wallet = venue.wallet, wallet.isFinite {
            // Agreement to rounding noise (the two sum the same fills in different orders) is agreement.
            if abs(wallet - cash) > 1e-9 * max(1, abs(wallet)) { report.cashCorrection = wallet - cash }
            cash = wallet
        }
        // A Kestrel fill in the snapshot explains a position the engine does not hold.
        let kestrelFilled = Set(ownFills.filter { $0.orderID.isKestrels }.map(\.symbol))

        for id in pendingEntries.keys where resting[id] == nil && !inFlight.contains(id) {
            // Not resting, not awaited, and any fill it had was counted above: it is over, or never arrived. A
            // position on its symbol the same way round is its own (its fill fell out of the snapshot).
            guard let entry = pendingEntries.removeValue(forKey: id) else { continue }
            if let held = venue.positions[entry.request.symbol], held.side.entrySide == entry.request.side,
               positions.index(forKey: held.symbol) == nil {
                let fill = Fill(orderID: id, tradeID: TradeID("reconciled-\(id.rawValue)"), symbol: held.symbol,
                                side: held.side.entrySide, lots: held.lots, price: held.entryPrice, fee: 0, time: time)
                opened(fill, entry: entry, into: &output)
                report.adopted.append(held.symbol)
            } else {
                report.droppedEntries.append(id)
            }
        }
        // Orders sent just now (stops of positions the missed fills opened) are awaited as much as those in flight.
        var awaited = inFlight
        for command in output.commands {
            switch command {
            case .place(let order), .replaceStop(_, with: let order): awaited.insert(order.id)
            case .cancel: break
            }
        }
        // In symbol order, as the book keeps them.
        for symbol in positions.keys where venue.positions[symbol] == nil {
            guard let position = positions.removeValue(forKey: symbol) else { continue }
            cancelOrders(of: position, restingIn: resting, into: &output)
            bookReconciledClose(position, at: time, into: &output)
            report.closed.append(symbol)
        }
        for symbol in venue.positions.keys.sorted() {
            guard let held = venue.positions[symbol] else { continue }
            guard let instrument = instruments[symbol] else {
                report.foreignPositions.append(symbol)
                continue
            }
            if var position = positions[symbol], position.side == held.side {
                if position.lots != held.lots || position.entryPrice != held.entryPrice
                    || position.leverage != held.leverage {
                    // Added to or reduced while away: the venue's size, average entry and leverage are the ones its
                    // PnL and margin follow.
                    position.lots = held.lots
                    position.initialLots = max(position.initialLots, held.lots)
                    position.entryPrice = held.entryPrice
                    position.leverage = held.leverage
                    positions[symbol] = position
                    if !report.adopted.contains(symbol) { report.resized.append(symbol) }
                }
            } else if let gone = positions.removeValue(forKey: symbol) {
                // Held the other way round: the stop, targets and entry the engine knew are for a position that
                // is gone. The engine's business all the same: taken on as the venue has it.
                cancelOrders(of: gone, restingIn: resting, into: &output)
                bookReconciledClose(gone, at: time, into: &output)
                positions[symbol] = adoptedPosition(held, instrument: instrument, at: time)
                report.resized.append(symbol)
            } else if pendingEntries.values.contains(where: { $0.request.symbol == symbol }) {
                // An entry of the engine's on this symbol is still awaited: its answer or fill opens the position
                // (taking it on now would open it twice).
                continue
            } else if kestrelFilled.contains(symbol) {
                positions[symbol] = adoptedPosition(held, instrument: instrument, at: time)
                report.adopted.append(symbol)
            } else {
                // Nothing of Kestrel's explains it: someone else's, left as it is.
                report.foreignPositions.append(symbol)
                continue
            }
            guard var position = positions[symbol] else { continue }
            reconcileOrders(of: &position, resting: resting, restingOrders: restingOrders, inFlight: awaited,
                            report: &report, at: time, into: &output)
            positions[symbol] = position
        }
        // What rests and nobody accounts for: Kestrel's orphans are cancelled, anyone else's left alone.
        let known = knownOrderIDs
        for order in restingOrders where !known.contains(order.id) && !inFlight.contains(order.id) {
            if order.id.isKestrels {
                output.commands.append(.cancel(order.id, symbol: order.symbol))
                report.orphansCancelled.append(order.id)
            } else {
                report.foreignOrders.append(order.id)
            }
        }
        foreignSymbols = Set(report.foreignPositions)
        revalueAll()
        return (report, output)
    }

    /// Whether a fill a venue reports is the engine's to count: one of Kestrel's orders, or a liquidation.
    public static func isOwn(_ fill: Fill) -> Bool { fill.orderID.isKestrels || fill.isLiquidation }

    /// Every order id the engine accounts for: entries in flight, and each position's entry, stops, targets and
    /// exit.
    var knownOrderIDs: Set<ClientOrderID> {
        var ids = Set(pendingEntries.keys)
        for position in positions.values { ids.formUnion(position.orderIDs) }
        return ids
    }

    /// A position the venue holds that the engine takes on as it is, with the stop of a 5% volatility: a trade of
    /// the engine's from now on.
    private mutating func adoptedPosition(_ held: ExchangePosition, instrument: Instrument, at time: Timestamp)
        -> ManagedPosition {
        statistics.tradesOpened += 1
        let stopDistance = RiskManager.stopDistance(volatility: 0.05)
        return ManagedPosition(
            symbol: held.symbol, instrument: instrument, side: held.side, lots: held.lots, initialLots: held.lots,
            entryPrice: held.entryPrice, leverage: held.leverage, openedAt: time, stopDistance: stopDistance,
            stopPrice: instrument.roundToTick(held.entryPrice * (1 - held.side.sign * stopDistance)),
            stopKind: .initial, stopOrderID: nil, stopState: .missing,
            takeProfitPrice: instrument.roundToTick(held.entryPrice * (1 + held.side.sign * 2 * stopDistance)),
            trailDistance: settings.risk.trailingStopPercentage, bestPrice: held.entryPrice,
            partialsTaken: 0, exitOrderID: nil, exitReason: nil, equityAtEntry: equity, fees: 0, funding: 0,
            lastFundingAt: time, realizedPnL: 0, exitValue: 0, exitedLots: 0)
    }

    /// Brings one held position's orders in line with what rests on the venue: its stop found, read back, resized
    /// or sent again; targets and exits that are gone forgotten.
    private mutating func reconcileOrders(of position: inout ManagedPosition, resting: [ClientOrderID: OrderRequest],
                                          restingOrders: [OrderRequest], inFlight: Set<ClientOrderID>,
                                          report: inout ReconciliationReport, at time: Timestamp,
                                          into output: inout Output) {
        let symbol = position.symbol
        func isGone(_ id: ClientOrderID) -> Bool { resting[id] == nil && !inFlight.contains(id) }
        if let exit = position.exitOrderID, isGone(exit) {
            position.exitOrderID = nil
            position.exitReason = nil
            position.exitLotsLeft = 0
        }
        if let entry = position.entryOrderID, isGone(entry) {
            position.entryOrderID = nil
            position.entryLotsLeft = 0
        }
        for id in position.targetOrders.keys where isGone(id) {
            position.targetOrders[id] = nil
            report.droppedTargets.append(id)
        }
        if let standing = position.standingStopID, isGone(standing) { position.standingStopID = nil }
        // The newest stop rests: acknowledged, whatever the engine had heard. Gone: missing.
        if let stop = position.stopOrderID {
            if resting[stop] != nil {
                position.stopState = .acknowledged
            } else if !inFlight.contains(stop) {
                position.stopOrderID = nil
                position.stopState = .missing
            }
        }
        // A stop of Kestrel's for this position that already rests there (one the engine lost track of, or an
        // adopted position's) is its stop, rather than a second one beside it.
        if position.stopOrderID == nil,
           let existing = restingOrders.first(where: { order in
               guard case .stopMarket = order.kind else { return false }
               return order.id.isKestrels && order.symbol == symbol && order.reduceOnly
                   && order.side == position.side.exitSide
           }) {
            position.stopOrderID = existing.id
            position.stopLots = existing.lots
            position.stopState = .acknowledged
            position.standingStopID = nil
            if !report.adopted.contains(symbol) { report.restopped.append(symbol) }
        }
        if position.stopState == .acknowledged, let id = position.stopOrderID, let stop = resting[id] {
            position.unprotectedSince = nil
            if case .stopMarket(let trigger) = stop.kind, trigger != position.stopPrice {
                // The venue's trigger is the one that fires. A tighter one (moved before a crash the saved state
                // did not see) is kept; a looser one is moved to the engine's, never loosened to a stale state.
                let tighter = position.side == .long ? trigger > position.stopPrice : trigger < position.stopPrice
                if tighter { position.stopPrice = trigger }
                report.stopsReadBack.append(symbol)
                if !tighter, position.exitOrderID == nil { sendStop(for: &position, at: time, into: &output) }
            }
            // A stop for less than the position leaves part of it unprotected: it is resized. A larger one covers it
            // (a reduce-only order fills only up to the position), as the stop does after a partial exit.
            if stop.lots < position.lots, position.stopState == .acknowledged {
                sendStop(for: &position, at: time, into: &output)
                if !report.restopped.contains(symbol) { report.restopped.append(symbol) }
            }
        }
        if position.stopOrderID == nil, position.stopState == .missing {
            if position.unprotectedSince == nil, !position.isProtected { position.unprotectedSince = time }
            sendStop(for: &position, at: time, into: &output)
            if !report.adopted.contains(symbol), !report.restopped.contains(symbol) { report.restopped.append(symbol) }
        }
    }

    /// Cancels whatever of `position`'s orders still rests on the venue.
    private func cancelOrders(of position: ManagedPosition, restingIn resting: [ClientOrderID: OrderRequest],
                              into output: inout Output) {
        for id in position.orderIDs where resting[id] != nil {
            output.commands.append(.cancel(id, symbol: position.symbol))
        }
    }

    /// Books a position the venue no longer holds as closed, at the last price known, with the reason
    /// `reconciliation`.
    private mutating func bookReconciledClose(_ position: ManagedPosition, at time: Timestamp,
                                              into output: inout Output) {
        let trade = position.closedTrade(exitPrice: marks.price(position.symbol) ?? position.entryPrice, at: time,
                                         reason: .reconciliation)
        statistics.closedTrades.append(trade)
        output.note(.closed(trade))
    }
}
