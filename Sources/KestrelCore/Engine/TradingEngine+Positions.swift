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
        /// Whether the venue acknowledged the stop at `stopPrice`; if not, the engine watches that price itself.
        var stopAcknowledged: Bool
        /// Whether take-profit orders rest on the exchange, or will once the entry has filled.
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
            stopAcknowledged = position.stopState == .acknowledged
            hasTargetOrders = !position.targetOrders.isEmpty || position.entryOrderID != nil
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
        if positions.values[index].stopState != .acknowledged, secureStop(at: index, at: time, into: &output) { return }
        let symbol = marks.symbol(at: slot)
        var position = ExitInputs(&positions.values[index])
        if position.side == .long ? price > position.bestPrice : price < position.bestPrice {
            position.bestPrice = price
            positions.values[index].bestPrice = price
        }
        let move = position.move(at: price)
        let bestMove = position.move(at: position.bestPrice)

        // The stop was crossed but the venue has not acknowledged a stop there (not yet, refused or gone): exit now.
        let stopCrossed = position.side == .long ? price <= position.stopPrice : price >= position.stopPrice
        if stopCrossed, !position.stopAcknowledged {
            if positions.values[index].unprotectedSince != nil { noteProtected(at: index, since: time) }
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
        adjustStop(symbol, at: index, position: position, price: price, move: move, at: time, into: &output)
    }

    /// For a position without an acknowledged stop: a refused or vanished stop is sent again (after
    /// `stopRetrySeconds`), and a position no stop has protected for `stopGraceSeconds` is closed at market. True
    /// when it sent that exit.
    mutating func secureStop(at index: Int, at time: Timestamp, into output: inout Output) -> Bool {
        guard positions.values[index].exitOrderID == nil else { return false }
        let position = StopInputs(&positions.values[index])
        // The grace runs out only for a stop that had its chance: one in flight, or one sent since the position
        // lost its stop (a stop found gone after a long silence is sent again first).
        let hadItsChance = position.state == .pending || (position.sentAt.map { $0 > position.unprotectedSince } ?? false)
        if !position.isProtected, hadItsChance, time - position.unprotectedSince >= settings.stopGraceSeconds {
            let symbol = positions.values[index].symbol
            output.note(.unprotected(symbol: symbol, seconds: time - position.unprotectedSince))
            statistics.closedUnprotected += 1
            // Counted to the decision to close: how long the exit then takes is the venue's, not a stop's.
            noteProtected(at: index, since: time)
            exit(symbol, reason: .noStop, at: time, into: &output)
            return true
        }
        if position.state == .missing, position.retryAfter.map({ time >= $0 }) ?? true {
            sendStop(at: index, at: time, into: &output)
        }
        return false
    }

    /// What `secureStop` reads of a position, read in place.
    private struct StopInputs {
        var state: ManagedPosition.StopState
        var isProtected: Bool
        var unprotectedSince: Timestamp
        var sentAt: Timestamp?
        var retryAfter: Timestamp?

        init(_ position: inout ManagedPosition) {
            state = position.stopState
            isProtected = position.isProtected
            unprotectedSince = position.unprotectedSince ?? position.openedAt
            sentAt = position.stopSentAt
            retryAfter = position.stopRetryAfter
        }
    }

    /// Sends a stop for the whole position at its stop price: placed, or replacing the stop that rests (new first,
    /// old cancelled after). One stop request is in flight at a time: callers wait while one is pending.
    mutating func sendStop(for position: inout ManagedPosition, at time: Timestamp, into output: inout Output) {
        let id = makeOrderID(.stop, position.symbol)
        if Self.sendStop(id, for: &position, at: time, into: &output) { statistics.stopsReplaced += 1 }
    }

    /// `sendStop(for:at:into:)` for the position at `index` in the book, in place.
    mutating func sendStop(at index: Int, at time: Timestamp, into output: inout Output) {
        let id = makeOrderID(.stop, positions.values[index].symbol)
        if Self.sendStop(id, for: &positions.values[index], at: time, into: &output) { statistics.stopsReplaced += 1 }
    }

    /// Sends stop `id` for `position`; true when it replaces one.
    private static func sendStop(_ id: ClientOrderID, for position: inout ManagedPosition, at time: Timestamp,
                                 into output: inout Output) -> Bool {
        let request = OrderRequest(id: id, symbol: position.symbol,
                                   side: position.side.exitSide, lots: position.lots,
                                   kind: .stopMarket(trigger: position.stopPrice), reduceOnly: true,
                                   leverage: position.leverage, purpose: .stopLoss)
        // The stop that protects the position until the new one is acknowledged.
        let resting = position.stopState == .acknowledged ? position.stopOrderID : position.standingStopID
        if let resting {
            output.commands.append(.replaceStop(resting, with: request))
        } else {
            output.commands.append(.place(request))
        }
        position.standingStopID = resting
        position.stopOrderID = request.id
        position.stopLots = position.lots
        position.stopState = .pending
        position.stopSentAt = time
        position.stopRetryAfter = nil
        if resting == nil, position.unprotectedSince == nil { position.unprotectedSince = time }
        return resting != nil
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
        positions[symbol]?.exitLotsLeft = lots
        output.commands.append(.place(request))
        return true
    }

    /// Break-even once the price has moved 1.5% in favour, then a trailing stop while in profit; a stop only ever
    /// tightens, and only moves that matter (at least a tick and `stopAmendMinStep`, no more often than
    /// `stopAmendIntervalSeconds`) are sent to the exchange.
    private mutating func adjustStop(_ symbol: String, at index: Int, position: ExitInputs, price: Double,
                                     move: Double, at time: Timestamp, into output: inout Output) {
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
        let minimumMove = max(position.tickSize, settings.stopAmendMinStep * position.stopPrice)
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
        if position.stopAcknowledged {
            // Spaced in time; the move is looked at again on a later price.
            if let sent = positions.values[index].stopSentAt, time - sent < settings.stopAmendIntervalSeconds { return }
        } else if positions.values[index].stopState == .pending {
            // One stop request at a time: the move waits for the venue's answer.
            return
        }
        positions.values[index].stopPrice = candidate
        positions.values[index].stopKind = kind
        output.note(.stopMoved(symbol: symbol, from: position.stopPrice, to: candidate, kind: kind))
        // Without a stop on the venue the engine watches the new price itself, until a stop is placed there.
        if position.stopAcknowledged { sendStop(at: index, at: time, into: &output) }
    }

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
        positions.values[index].exitLotsLeft = request.lots
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
        if positions.values[index].stopState != .acknowledged, secureStop(at: index, at: time, into: &output) { return }
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
            guard seenTradeIDs.insert(fill.tradeID) else {
                statistics.duplicateFills += 1
                output.note(.duplicateFill(fill))
                return
            }
            if let index = pendingEntries.index(forKey: fill.orderID) {
                opened(fill, entry: pendingEntries.remove(at: index), into: &output)
            } else if let index = positions.index(forKey: fill.symbol) {
                if positions.values[index].entryOrderID.holds(fill.orderID) {
                    grew(fill, at: index, into: &output)
                } else {
                    reduced(fill, into: &output)
                }
            } else {
                // A fill for nothing the engine holds (e.g. a late duplicate): only the cash changes.
                cash -= fill.fee
            }
        case .accepted(let id, let symbol):
            guard let index = positions.index(forKey: symbol), positions.values[index].stopOrderID.holds(id),
                  positions.values[index].stopState == .pending else { break }
            stopAcknowledged(at: index, into: &output)
        case .funding(let symbol, let amount, let time):
            // A symbol's funding is paid once per interval, each at a later time: one at or before the last counted
            // is that one reported again (by the stream and a snapshot, or by two snapshots). That holds once the
            // position it was paid on is closed too: reconciliation replays the venue's recent payments every time.
            if let last = fundingCountedThrough[symbol], time <= last { break }
            fundingCountedThrough[symbol] = time
            // In place: the book's subscript would move the position out and back. A payment from before the
            // position opened (on an earlier one) is cash, not the position's.
            if let index = positions.index(forKey: symbol),
               positions.values[index].lastFundingAt.map({ time > $0 }) ?? true {
                positions.values[index].lastFundingAt = time
                positions.values[index].funding += amount
            }
            cash += amount
        case .orderCancelled(let id, let symbol):
            if pendingEntries.discard(id) { break }
            guard let index = positions.index(forKey: symbol) else { break }
            if positions.values[index].entryOrderID.holds(id) {
                // The rest of the entry will not fill: the position is what filled, and its targets go out now.
                positions.values[index].entryOrderID = nil
                positions.values[index].entryLotsLeft = 0
                var position = positions.values[index]
                placeTargetOrders(for: &position, into: &output)
                positions.values[index] = position
            }
            Self.forget(id, in: &positions.values[index], at: statistics.lastTime)
            resizeStopIfShort(at: index, at: statistics.lastTime ?? positions.values[index].openedAt, into: &output)
        }
    }

    /// The venue acknowledged the position's newest stop: it is protected. A stop sent before the entry finished
    /// filling is resized now to the whole position.
    private mutating func stopAcknowledged(at index: Int, into output: inout Output) {
        positions.values[index].stopState = .acknowledged
        noteProtected(at: index, since: statistics.lastTime)
        // The stop it replaced is the venue's to cancel (the replacement cancels it); should that fail, it is no
        // longer one the engine counts on, and reconciliation cancels it as an orphan.
        positions.values[index].standingStopID = nil
        resizeStopIfShort(at: index, at: statistics.lastTime ?? positions.values[index].openedAt, into: &output)
    }

    /// The position at `index` is protected (or closed) since `time`: how long it went without an acknowledged stop
    /// counts.
    private mutating func noteProtected(at index: Int, since time: Timestamp?) {
        if let since = positions.values[index].unprotectedSince, let time {
            statistics.maxUnprotectedSeconds = max(statistics.maxUnprotectedSeconds, time - since)
        }
        positions.values[index].unprotectedSince = nil
    }

    /// A stop smaller than the position (sent before the entry finished filling, while an exit was in flight) is
    /// resized once nothing stands in the way.
    private mutating func resizeStopIfShort(at index: Int, at time: Timestamp, into output: inout Output) {
        guard positions.values[index].exitOrderID == nil, positions.values[index].stopState == .acknowledged,
              positions.values[index].stopLots < positions.values[index].lots else { return }
        sendStop(at: index, at: time, into: &output)
    }

    /// Drops every reference `position` holds to order `id`, in place: the order is gone (refused, cancelled or
    /// removed by the venue). A position that loses its stop this way is unprotected from `time` on.
    private static func forget(_ id: ClientOrderID, in position: inout ManagedPosition, at time: Timestamp?) {
        if position.standingStopID.holds(id) { position.standingStopID = nil }
        if position.stopOrderID.holds(id) {
            position.stopOrderID = nil
            position.stopState = .missing
        }
        if !position.isProtected, position.unprotectedSince == nil { position.unprotectedSince = time }
        position.targetOrders[id] = nil
        if position.exitOrderID.holds(id) {
            position.exitOrderID = nil
            position.exitReason = nil
            position.exitLotsLeft = 0
        }
    }

    /// Another piece of the entry filled: the position grows, its stop (and take profit, while the stop is the
    /// initial one) follow the average entry, and its stop is resized to cover the whole position. The targets go
    /// out once the entry has filled.
    private mutating func grew(_ fill: Fill, at index: Int, into output: inout Output) {
        var position = positions.values[index]
        let total = position.lots + fill.lots
        position.entryPrice = (position.entryPrice * Double(position.lots) + fill.price * Double(fill.lots))
            / Double(total)
        position.lots = total
        position.initialLots = total
        position.fees += fill.fee
        cash -= fill.fee
        position.entryLotsLeft -= fill.lots
        if position.stopKind == .initial {
            position.stopPrice = position.instrument.roundToTick(
                position.entryPrice * (1 - position.side.sign * position.stopDistance))
            position.takeProfitPrice = position.instrument.roundToTick(
                position.entryPrice * (1 + position.side.sign * 2 * position.stopDistance))
        }
        let complete = position.entryLotsLeft <= 0
        if complete {
            position.entryOrderID = nil
            position.entryLotsLeft = 0
        }
        // A pending stop is resized once acknowledged (one stop request at a time).
        if position.exitOrderID == nil, position.stopState != .pending {
            sendStop(for: &position, at: fill.time, into: &output)
        }
        if complete { placeTargetOrders(for: &position, into: &output) }
        positions.values[index] = position
        revalue(fill.symbol)
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
        // Closed without an acknowledged stop (the grace ran out, or its price was crossed first): that time counts,
        // to the fill that closed it (which may be heard later, after a dropped stream).
        if positions.values[index].unprotectedSince != nil { noteProtected(at: index, since: fill.time) }
        guard let position = positions.removeValue(forKey: fill.symbol) else { return }
        revalue(fill.symbol)
        if let stop = position.stopOrderID { output.commands.append(.cancel(stop, symbol: fill.symbol)) }
        if let standing = position.standingStopID { output.commands.append(.cancel(standing, symbol: fill.symbol)) }
        for target in position.targetOrders.keys { output.commands.append(.cancel(target, symbol: fill.symbol)) }
        // An entry still filling would open the position again: what is left of it is cancelled.
        if let entry = position.entryOrderID { output.commands.append(.cancel(entry, symbol: fill.symbol)) }
        let trade = position.closedTrade(exitPrice: position.exitValue / Double(max(position.exitedLots, 1)),
                                         at: fill.time, reason: reason)
        statistics.closedTrades.append(trade)
        risk.recordClosedTrade(pnl: trade.pnl, equityAtEntry: position.equityAtEntry, symbol: fill.symbol,
                               at: fill.time, cooldown: settings.risk.symbolCooldownSeconds)
        output.note(.closed(trade))
        // A slot is free: the current snapshot may still hold something worth trading.
        considerEntries(at: fill.time, announce: false, into: &output)
    }

    /// Books an exit fill (or a piece of one) on `position`: its size, PnL, fees and exit price, and what is left of
    /// the order it came from. Returns the lots it closed, their PnL before fees, and why they were closed.
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
        } else if let index = position.targetOrders.index(forKey: fill.orderID) {
            // A target counts as taken once it has filled whole (it may fill in pieces).
            reason = position.targetOrders.values[index].reason
            position.targetOrders.values[index].lots -= fill.lots
            if position.targetOrders.values[index].lots <= 0 {
                position.targetOrders.removeValue(forKey: fill.orderID)
                if reason == .partialTakeProfit { position.partialsTaken += 1 }
            }
        } else if position.stopOrderID.holds(fill.orderID) {
            reason = stopReason(position.stopKind)
            // A stop smaller than the position (resized after the entry grew, not yet replaced) is used up.
            position.stopLots -= fill.lots
            if position.stopLots <= 0, position.lots > 0 {
                position.stopOrderID = nil
                position.stopState = .missing
                if !position.isProtected { position.unprotectedSince = fill.time }
            }
        } else if position.standingStopID.holds(fill.orderID) {
            reason = stopReason(position.stopKind)
            position.standingStopID = nil
        } else {
            reason = position.exitReason ?? .stopLoss
        }
        if position.exitOrderID.holds(fill.orderID) {
            position.exitLotsLeft -= fill.lots
            if position.exitLotsLeft <= 0 || position.lots == 0 {
                if position.exitReason == .partialTakeProfit { position.partialsTaken += 1 }
                position.exitOrderID = nil
                position.exitReason = nil
                position.exitLotsLeft = 0
            }
        }
        return (lots, pnl, reason)
    }

    mutating func handleRejection(_ request: OrderRequest, _ rejection: OrderRejection, at time: Timestamp,
                                  into output: inout Output) {
        // Several fills from one price can close a position before the engine hears the first; a stop it then
        // sends for the rest finds nothing to reduce. That is not a refusal worth counting.
        if !rejection.isPositionAlreadyGone(for: request) { statistics.rejections += 1 }
        output.note(.orderRejected(request, rejection))
        if pendingEntries.discard(request.id) { return }
        guard let index = positions.index(forKey: request.symbol) else { return }
        if positions.values[index].exitOrderID.holds(request.id), request.purpose == .exit(.partialTakeProfit) {
            // Tried again, but not on every price: a refusal that lasts (a full journal) would otherwise send an
            // order a tick.
            positions.values[index].partialRetryAfter = time + Self.partialRetryDelaySeconds
        }
        if positions.values[index].stopOrderID.holds(request.id) {
            // Sent again shortly (not on every price: a venue that says the position is gone says it again until
            // reconciliation settles it); meanwhile the engine watches the stop price itself.
            positions.values[index].stopRetryAfter = time + settings.stopRetrySeconds
        }
        // A refused exit can be sent again.
        Self.forget(request.id, in: &positions.values[index], at: time)
        resizeStopIfShort(at: index, at: time, into: &output)
    }
}
