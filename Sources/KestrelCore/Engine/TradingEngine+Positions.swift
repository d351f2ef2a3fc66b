extension TradingEngine {
    // MARK: Price-driven management

    /// What the exit rules read on every price: the scalars of a position, taken without copying its strings,
    /// instrument and order maps (a price update is the most frequent event a backtest has).
    struct ExitInputs {
        var side: PositionSide
        var entryPrice: Double
        var bestPrice: Double
        var stopPrice: Double
        var stopKind: ManagedPosition.StopKind
        var stopDistance: Double
        var trailDistance: Double
        var leverage: Int
        var tickSize: Double
        var hasStopOrder: Bool
        var hasTargetOrders: Bool

        /// `inout` only to read in place: a dictionary's getter copies the whole position, its modify accessor does
        /// not.
        init(_ position: inout ManagedPosition) {
            side = position.side
            entryPrice = position.entryPrice
            bestPrice = position.bestPrice
            stopPrice = position.stopPrice
            stopKind = position.stopKind
            stopDistance = position.stopDistance
            trailDistance = position.trailDistance
            leverage = position.leverage
            tickSize = position.instrument.tickSize
            hasStopOrder = position.stopOrderID != nil
            hasTargetOrders = !position.targetOrders.isEmpty
        }

        func move(at price: Double) -> Double { ManagedPosition.move(side, from: entryPrice, to: price) }
        /// Whether `candidate` is a tighter (more protective) stop than the current one.
        func isTighter(_ candidate: Double) -> Bool { side == .long ? candidate > stopPrice : candidate < stopPrice }
    }

    private static func hasExitInFlight(_ position: inout ManagedPosition) -> Bool { position.exitOrderID != nil }

    /// Every exit rule on a new price: take profit, partial take-profits, profit lock, break-even and trailing stop.
    /// The stop-loss itself rests on the exchange; the engine moves it and only exits by market for the rest.
    mutating func manage(slot: Int, price: Double, at time: Timestamp, into output: inout Output) {
        guard let index = marks.positionIndex(at: slot, in: positions) else { return }
        if Self.hasExitInFlight(&positions.values[index]) { return }
        let symbol = marks.symbol(at: slot)
        var position = ExitInputs(&positions.values[index])
        if position.side == .long ? price > position.bestPrice : price < position.bestPrice {
            position.bestPrice = price
            positions.values[index].bestPrice = price
        }
        let move = position.move(at: price)
        let bestMove = position.move(at: position.bestPrice)

        // The stop was crossed but no exchange stop protects the position (it was refused): exit now.
        let stopCrossed = position.side == .long ? price <= position.stopPrice : price >= position.stopPrice
        if stopCrossed, !position.hasStopOrder {
            exit(symbol, reason: Self.stopReason(position.stopKind), at: time, into: &output)
            return
        }
        // Targets normally rest on the exchange; the engine takes profit itself only when none does (refused).
        if !position.hasTargetOrders, move >= 2 * position.stopDistance {
            exit(symbol, reason: .takeProfit, at: time, into: &output)
            return
        }
        if bestMove >= settings.profitLockTrigger, move <= bestMove * (1 - settings.profitLockGiveBack) {
            exit(symbol, reason: .profitLock, at: time, into: &output)
            return
        }
        if !position.hasTargetOrders, takePartialProfits(symbol, move: move, at: time, into: &output) {
            return
        }
        adjustStop(symbol, at: index, position: position, price: price, move: move, into: &output)
    }

    /// How long after a refused fallback partial take-profit the engine waits before sending it again.
    static var partialRetryDelaySeconds: Int64 { 60 }

    /// The fallback when no target rests on the exchange: a market order for the next partial level the price has
    /// reached. The level counts as taken when its fill arrives (a refused order is tried again). True when an exit
    /// was sent.
    private mutating func takePartialProfits(_ symbol: String, move: Double, at time: Timestamp,
                                             into output: inout Output) -> Bool {
        guard let position = positions[symbol], position.partialsTaken < settings.partialTakeProfits.count,
              position.partialRetryAfter.map({ time >= $0 }) ?? true else { return false }
        let level = settings.partialTakeProfits[position.partialsTaken]
        guard move * Double(position.leverage) >= level.leveragedPnL else { return false }
        let isLast = position.partialsTaken == settings.partialTakeProfits.count - 1
        var lots = Self.lots(of: level, for: position)
        if isLast || lots >= position.lots { lots = position.lots }
        guard lots >= position.instrument.lotSize else {
            // Too small a share to trade: the level is passed over.
            positions[symbol]?.partialsTaken += 1
            return false
        }
        if lots == position.lots {
            exit(symbol, reason: .takeProfit, at: time, into: &output)
            return true
        }
        let request = OrderRequest(id: makeOrderID(.partial, symbol), symbol: symbol, side: position.side.exitSide,
                                   lots: lots, kind: .market, reduceOnly: true, leverage: position.leverage,
                                   purpose: .exit(.partialTakeProfit))
        positions[symbol]?.exitOrderID = request.id
        positions[symbol]?.exitReason = .partialTakeProfit
        output.commands.append(.place(request))
        return true
    }

    /// Break-even once the price has moved 1.5% in favour, then a trailing stop while in profit; a stop only ever
    /// tightens, and only moves that matter (at least a tick and 0.05%) are sent to the exchange.
    private mutating func adjustStop(_ symbol: String, at index: Int,
                                     position: ExitInputs, price: Double, move: Double, into output: inout Output) {
        var candidate = position.stopPrice
        var kind = position.stopKind
        if move >= settings.breakEvenTrigger {
            let breakEven = position.entryPrice * (1 + position.side.sign * settings.breakEvenOffset)
            if position.isTighter(breakEven), position.side == .long ? breakEven > candidate : breakEven < candidate {
                candidate = breakEven
                kind = .breakEven
            }
        }
        if move > 0 {
            var distance = position.trailDistance
            let leveragedPnL = move * Double(position.leverage)
            if leveragedPnL > 0.10 { distance *= 0.7 } else if leveragedPnL > 0.05 { distance *= 0.85 }
            if move > 0.03 { distance *= 1.2 }
            distance = min(max(distance, 0.005), 0.05)
            let trailing = position.bestPrice * (1 - position.side.sign * distance)
            if position.side == .long ? trailing > candidate : trailing < candidate {
                candidate = trailing
                kind = .trailing
            }
        }
        let minimumMove = max(position.tickSize, 0.0005 * position.stopPrice)
        // Rounding to the tick moves the candidate by half a tick at most: one that falls short of the minimum move
        // by more than that cannot make it once rounded, so most prices end here without the rounding.
        let tightening = position.side == .long ? candidate - position.stopPrice : position.stopPrice - candidate
        if tightening < minimumMove - position.tickSize / 2 - 1e-9 * position.stopPrice { return }
        candidate = Instrument.round(candidate, toTick: position.tickSize)
        guard candidate.isFinite, candidate > 0, position.isTighter(candidate),
              abs(candidate - position.stopPrice) >= minimumMove
        else { return }
        // Never move the stop through the current price: it would fire at once as a worse market order.
        guard position.side == .long ? candidate < price : candidate > price else { return }
        positions.values[index].stopPrice = candidate
        positions.values[index].stopKind = kind
        output.note(.stopMoved(symbol: symbol, from: position.stopPrice, to: candidate, kind: kind))
        if let id = Self.stopOrderID(&positions.values[index]) {
            output.commands.append(.amendStop(id, symbol: symbol, trigger: candidate))
        }
    }

    private static func stopOrderID(_ position: inout ManagedPosition) -> ClientOrderID? { position.stopOrderID }

    static func stopReason(_ kind: ManagedPosition.StopKind) -> ExitReason {
        switch kind {
        case .initial: return .stopLoss
        case .breakEven: return .breakEven
        case .trailing: return .trailingStop
        }
    }

    /// Sends a reduce-only market order for the whole position.
    mutating func exit(_ symbol: String, reason: ExitReason, at time: Timestamp, into output: inout Output) {
        // Read and marked in place: the book's getter copies the whole position, its subscript moves it out and back.
        guard let index = positions.index(forKey: symbol), positions.values[index].exitOrderID == nil else { return }
        let request = OrderRequest(id: makeOrderID(.exit, symbol), symbol: symbol,
                                   side: positions.values[index].side.exitSide, lots: positions.values[index].lots,
                                   kind: .market, reduceOnly: true, leverage: positions.values[index].leverage,
                                   purpose: .exit(reason))
        positions.values[index].exitOrderID = request.id
        positions.values[index].exitReason = reason
        output.commands.append(.place(request))
    }

    // MARK: Monitor ticks

    /// The periodic check: time-based exits, the momentum reversal, daily risk bookkeeping, and a second look at
    /// the current snapshot when a slot is free.
    mutating func monitorTick(at time: Timestamp, into output: inout Output) {
        if let last = statistics.lastMonitorTick {
            statistics.maxMonitorGapSeconds = max(statistics.maxMonitorGapSeconds, time - last)
        }
        statistics.lastMonitorTick = time
        statistics.monitorTicks += 1
        statistics.lastTime = max(statistics.lastTime ?? time, time)
        risk.observe(equity: equity, at: time)
        // In symbol order (the book's), so runs repeat. A check only marks an exit in flight: the book keeps its
        // positions and their order meanwhile.
        for index in positions.values.indices {
            checkTimeAndMomentum(at: index, at: time, into: &output)
        }
        if committedCount < settings.risk.maxOpenPositions {
            considerEntries(at: time, announce: false, into: &output)
        }
        if !positions.isEmpty { output.note(.monitor(positions: positions.count, equity: equity)) }
    }

    /// The monitor's exits for one position: held too long, or its momentum turned hard against it.
    private mutating func checkTimeAndMomentum(at index: Int, at time: Timestamp, into output: inout Output) {
        // Read in place: the book's getter would copy the whole position at every tick.
        guard !Self.hasExitInFlight(&positions.values[index]) else { return }
        let symbol = positions.values[index].symbol
        if time - positions.values[index].openedAt >= settings.maxHoldSeconds {
            exit(symbol, reason: .maxHold, at: time, into: &output)
            return
        }
        if let signal = revalidator.momentumAndRSI(symbol: symbol, at: time), signal.momentum.isFinite,
           signal.rsi.isFinite {
            let reversed = positions.values[index].side == .long ? signal.momentum < -0.02 && signal.rsi > 70
                : signal.momentum > 0.02 && signal.rsi < 30
            if reversed { exit(symbol, reason: .momentumReversal, at: time, into: &output) }
        }
    }

    // MARK: Exchange events

    mutating func apply(_ event: ExchangeEvent, into output: inout Output) {
        switch event {
        case .fill(let fill):
            statistics.lastTime = max(statistics.lastTime ?? fill.time, fill.time)
            if let entry = pendingEntries.removeValue(forKey: fill.orderID) {
                opened(fill, entry: entry, into: &output)
            } else if positions.index(forKey: fill.symbol) != nil {
                reduced(fill, into: &output)
            } else {
                // A fill for nothing the engine holds (e.g. a late duplicate): only the cash changes.
                cash -= fill.fee
            }
        case .funding(let symbol, let amount, _):
            cash += amount
            // In place: the book's subscript would move the position out and back.
            if let index = positions.index(forKey: symbol) { positions.values[index].funding += amount }
        case .orderCancelled(let id, let symbol):
            if pendingEntries.removeValue(forKey: id) != nil { break }
            guard let index = positions.index(forKey: symbol) else { break }
            Self.forget(id, in: &positions.values[index])
        }
    }

    /// Drops every reference `position` holds to order `id`, in place.
    private static func forget(_ id: ClientOrderID, in position: inout ManagedPosition) {
        if position.stopOrderID == id { position.stopOrderID = nil }
        position.targetOrders[id] = nil
        if position.exitOrderID == id {
            position.exitOrderID = nil
            position.exitReason = nil
        }
    }

    private mutating func reduced(_ fill: Fill, into output: inout Output) {
        // Changed where it lies: taking it out and putting it back would move it, and the positions after it, twice.
        guard let index = positions.index(forKey: fill.symbol) else { return }
        let (lots, pnl, reason) = Self.reduce(&positions.values[index], by: fill)
        cash += pnl - fill.fee
        guard positions.values[index].lots == 0 else {
            revalue(fill.symbol)
            output.note(.partialExit(symbol: fill.symbol, lots: lots, price: fill.price, pnl: pnl - fill.fee))
            // The stop stays as it is: it is reduce-only, and an exchange fills a reduce-only order only up to the
            // position left (KuCoin cancels the excess), so it still covers the rest. Replacing it after every
            // partial exit would cost two requests and leave the position unprotected between them.
            return
        }
        guard let position = positions.removeValue(forKey: fill.symbol) else { return }
        revalue(fill.symbol)
        if let stop = position.stopOrderID { output.commands.append(.cancel(stop, symbol: fill.symbol)) }
        for target in position.targetOrders.keys { output.commands.append(.cancel(target, symbol: fill.symbol)) }
        let trade = position.closedTrade(exitPrice: position.exitValue / Double(max(position.exitedLots, 1)),
                                         at: fill.time, reason: reason)
        statistics.closedTrades.append(trade)
        risk.recordClosedTrade(pnl: trade.pnl, equityAtEntry: position.equityAtEntry, symbol: fill.symbol,
                               at: fill.time, cooldown: settings.risk.symbolCooldownSeconds)
        output.note(.closed(trade))
        // A slot is free: the current snapshot may still hold something worth trading.
        considerEntries(at: fill.time, announce: false, into: &output)
    }

    /// Books an exit fill on `position`: its size, PnL, fees and exit price, and the order it used up. Returns the
    /// lots it closed, their PnL before fees, and why they were closed.
    private static func reduce(_ position: inout ManagedPosition, by fill: Fill)
        -> (lots: Int, pnl: Double, reason: ExitReason) {
        let lots = min(fill.lots, position.lots)
        let pnl = position.side.pnl(from: position.entryPrice, to: fill.price,
                                    quantity: position.instrument.baseQuantity(lots: lots))
        position.realizedPnL += pnl
        position.fees += fill.fee
        position.lots -= lots
        position.exitValue += fill.price * Double(lots)
        position.exitedLots += lots
        let reason: ExitReason
        if fill.isLiquidation {
            reason = .liquidation
        } else if let target = position.targetOrders.removeValue(forKey: fill.orderID) {
            reason = target
            if target == .partialTakeProfit { position.partialsTaken += 1 }
        } else if fill.orderID == position.stopOrderID {
            reason = stopReason(position.stopKind)
            position.stopOrderID = nil
        } else {
            reason = position.exitReason ?? .stopLoss
            if fill.orderID == position.exitOrderID, reason == .partialTakeProfit { position.partialsTaken += 1 }
        }
        if fill.orderID == position.exitOrderID {
            position.exitOrderID = nil
            position.exitReason = nil
        }
        return (lots, pnl, reason)
    }

    mutating func handleRejection(_ request: OrderRequest, _ rejection: OrderRejection, at time: Timestamp,
                                  into output: inout Output) {
        // Several fills from one price can close a position before the engine hears the first; a stop it then
        // sends for the rest finds nothing to reduce. That is not a refusal worth counting.
        if !rejection.isPositionAlreadyGone(for: request) { statistics.rejections += 1 }
        output.note(.orderRejected(request, rejection))
        if pendingEntries.removeValue(forKey: request.id) != nil { return }
        guard let index = positions.index(forKey: request.symbol) else { return }
        if positions.values[index].exitOrderID == request.id, request.purpose == .exit(.partialTakeProfit) {
            // Tried again, but not on every price: a refusal that lasts (a full journal) would otherwise send an
            // order a tick.
            positions.values[index].partialRetryAfter = time + Self.partialRetryDelaySeconds
        }
        // A refused stop leaves the engine watching the stop price itself; a refused exit can be sent again.
        Self.forget(request.id, in: &positions.values[index])
    }
}
