extension PaperExchange {
    // MARK: Prices

    /// A new trade price for `symbol` at `time`: pays funding due by then, fills resting orders the price reached,
    /// and liquidates positions whose margin is gone. `continuous` says the price moved here through every price in
    /// between (a path inside a candle), so a stop fills at its trigger; otherwise (a gap) it fills at this price.
    public mutating func updatePrice(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true)
        -> [ExchangeEvent]
    {
        guard let slot = slots.slot(of: symbol) else { return [] }
        return updatePrice(slot: slot, price, at: time, continuous: continuous)
    }

    /// The slot of `symbol`, for callers that send it many prices (`updatePrice(slot:...)`).
    public func slot(of symbol: String) -> Int? { slots.slot(of: symbol) }

    /// Whether `slot` is `symbol`'s.
    public func slot(_ slot: Int, is symbol: String) -> Bool {
        books.indices.contains(slot) && books[slot].instrument.symbol == symbol
    }

    /// `updatePrice(_:_:at:continuous:)` for the symbol in `slot`.
    public mutating func updatePrice(slot: Int, _ price: Double, at time: Timestamp, continuous: Bool = true)
        -> [ExchangeEvent]
    {
        var events = [ExchangeEvent]()
        updatePrice(slot: slot, price, at: time, continuous: continuous, into: &events)
        return events
    }

    /// `updatePrice(slot:_:at:continuous:)`, appending what happened to `events`: a caller that sends millions of
    /// prices, nearly all of which do nothing, keeps one buffer instead of receiving a new array each time.
    public mutating func updatePrice(slot: Int, _ price: Double, at time: Timestamp, continuous: Bool,
                                     into events: inout [ExchangeEvent]) {
        guard price.isFinite, price > 0, books.indices.contains(slot) else { return }
        // Funding due by now is charged on the newest price known (this one for this symbol), not a stale one.
        books[slot].price = price
        payFunding(until: time, into: &events)
        lastTime = max(lastTime ?? time, time)
        if books[slot].restingCount > 0, price <= books[slot].fillsAtOrBelow || price >= books[slot].fillsAtOrAbove {
            triggerOrders(slot: slot, price: price, time: time, continuous: continuous, into: &events)
        }
        switch settings.marginMode {
        // An isolated position's margin only moves with its own price: no other position can have reached its
        // liquidation price on this update.
        case .isolated:
            if Self.isPastMaintenance(&books[slot], at: price, rate: settings.maintenanceMarginRate) {
                liquidate([slot], at: time, into: &events)
            }
        case .cross:
            if crossMarginExhausted {
                liquidate(slotsBySymbol.filter { books[$0].position != nil }, at: time, into: &events)
            }
        }
    }

    /// Whether the isolated position in `book` has lost its margin down to the maintenance margin at `price`.
    /// `inout` only to read in place: the position's numbers are read where they lie, without copying the position
    /// (and retaining its symbol) at every price.
    private static func isPastMaintenance(_ book: inout Book, at price: Double, rate: Double) -> Bool {
        guard let lots = book.position?.lots, let side = book.position?.side,
              let entryPrice = book.position?.entryPrice, let margin = book.position?.margin else { return false }
        let quantity = book.instrument.baseQuantity(lots: lots)
        return margin + side.pnl(from: entryPrice, to: price, quantity: quantity) <= quantity * price * rate
    }

    /// Whether the wallet plus every position's unrealised PnL is down to the maintenance margin of them all.
    private var crossMarginExhausted: Bool {
        var maintenanceTotal = 0.0
        var unrealizedTotal = 0.0
        var any = false
        for book in books {
            guard let position = book.position, let price = book.price else { continue }
            any = true
            maintenanceTotal += book.instrument.baseQuantity(lots: position.lots) * price * settings.maintenanceMarginRate
            unrealizedTotal += Self.unrealizedPnL(book)
        }
        return any && wallet + unrealizedTotal <= maintenanceTotal
    }

    // MARK: Execution

    /// Applies an execution to the wallet and the position, and removes reduce-only orders left without a position.
    mutating func execute(_ order: OrderRequest, slot: Int, price: Double, time: Timestamp, isMaker: Bool,
                          isLiquidation: Bool, into events: inout [ExchangeEvent]) {
        let instrument = books[slot].instrument
        var lots = order.lots
        if order.reduceOnly { lots = min(lots, books[slot].position?.lots ?? 0) }
        guard lots > 0 else { return }
        let quantity = instrument.baseQuantity(lots: lots)
        let fee = quantity * price * (isMaker ? settings.makerFee : settings.takerFee)
        wallet -= fee
        var remaining = lots
        if var position = books[slot].position, position.side.exitSide == order.side {
            let closing = min(remaining, position.lots)
            let pnl = position.side.pnl(from: position.entryPrice, to: price,
                                        quantity: instrument.baseQuantity(lots: closing))
            wallet += pnl
            position.margin *= Double(position.lots - closing) / Double(position.lots)
            position.lots -= closing
            remaining -= closing
            books[slot].position = position.lots > 0 ? position : nil
        }
        if remaining > 0 {
            let side: PositionSide = order.side == .buy ? .long : .short
            let addedMargin = instrument.baseQuantity(lots: remaining) * price / Double(order.leverage)
            if var position = books[slot].position {
                let total = position.lots + remaining
                position.entryPrice = (position.entryPrice * Double(position.lots) + price * Double(remaining))
                    / Double(total)
                position.lots = total
                position.margin += addedMargin
                books[slot].position = position
            } else {
                books[slot].position = ExchangePosition(symbol: order.symbol, side: side, lots: remaining,
                                                        entryPrice: price, leverage: order.leverage,
                                                        margin: addedMargin)
            }
        }
        tradeCount += 1
        events.append(.fill(Fill(orderID: order.id, tradeID: TradeID(number: Int64(tradeCount)), symbol: order.symbol, side: order.side,
                                 lots: lots, price: price, fee: fee, time: time, isMaker: isMaker,
                                 isLiquidation: isLiquidation)))
        if books[slot].restingCount > 0 { dropOrphanedReduceOnly(slot: slot, into: &events) }
    }

    private mutating func dropOrphanedReduceOnly(slot: Int, into events: inout [ExchangeEvent]) {
        let position = books[slot].position
        var index = 0
        while index < restingOrders.count {
            let order = restingOrders[index]
            guard restingSlots[index] == slot, order.reduceOnly,
                  position == nil || position?.side.exitSide != order.side else {
                index += 1
                continue
            }
            events.append(.orderCancelled(order.id, symbol: order.symbol))
            removeResting(at: index)
        }
    }

    private mutating func triggerOrders(slot: Int, price: Double, time: Timestamp, continuous: Bool,
                                        into events: inout [ExchangeEvent]) {
        var index = 0
        while index < restingOrders.count {
            guard restingSlots[index] == slot else {
                index += 1
                continue
            }
            var fillPrice: Double?
            var isMaker = false
            let side = restingOrders[index].side
            switch restingOrders[index].kind {
            case .stopMarket(let trigger):
                let reached = side == .sell ? price <= trigger : price >= trigger
                if reached { fillPrice = slipped(continuous ? trigger : price, side: side) }
            case .limit(let limit):
                let reached = side == .buy ? price <= limit : price >= limit
                if reached {
                    fillPrice = continuous ? limit : (side == .buy ? min(price, limit) : max(price, limit))
                    isMaker = true
                }
            case .market:
                fillPrice = price
            }
            guard let fillPrice else {
                index += 1
                continue
            }
            let order = restingOrders[index]
            removeResting(at: index)
            if !order.reduceOnly, case .failure = checkMargin(order, slot: slot, price: fillPrice) {
                events.append(.orderCancelled(order.id, symbol: order.symbol))
                continue
            }
            execute(order, slot: slot, price: fillPrice, time: time, isMaker: isMaker, isLiquidation: false,
                    into: &events)
            index = 0  // an execution may have removed other orders; start over
        }
    }

    // MARK: Funding and liquidation

    /// Funding for every interval boundary passed since the last update. A gap of more than `maxFundingRounds`
    /// intervals (a clock gone wrong, or data with a hole of years) is charged as one payment per position at the
    /// last boundary: the positions and prices are the same for each of those rounds anyway.
    @inline(__always)
    private mutating func payFunding(until time: Timestamp, into events: inout [ExchangeEvent]) {
        // Nearly every price comes before the next funding time, already worked out: it is told so here, in the
        // caller, without a call.
        let interval = settings.fundingIntervalSeconds
        if interval > 0, let last = lastTime?.seconds, nextFundingHolds(after: last, interval: interval),
           time.seconds < nextFunding { return }
        payFundingDue(until: time, into: &events)
    }

    /// Whether `nextFunding` is still the first funding time after `last`: it is kept while `last` lies within the
    /// interval before it (never for a time before 1970, whose division rounds the other way).
    @inline(__always)
    private func nextFundingHolds(after last: Int64, interval: Int64) -> Bool {
        last >= 0 && last < nextFunding && last >= nextFunding - interval
    }

    private mutating func payFundingDue(until time: Timestamp, into events: inout [ExchangeEvent]) {
        let interval = settings.fundingIntervalSeconds
        guard interval > 0, let last = lastTime, settings.fundingRate != 0 else { return }
        if !nextFundingHolds(after: last.seconds, interval: interval) {
            nextFunding = (last.seconds / interval + 1) * interval
        }
        let first = nextFunding
        guard first <= time.seconds else { return }
        let rounds = (time.seconds - first) / interval + 1
        let lastBoundary = first + (rounds - 1) * interval
        let batched = rounds > Self.maxFundingRounds
        var boundary = batched ? lastBoundary : first
        while true {
            for slot in slotsBySymbol {
                guard let position = books[slot].position, let price = books[slot].price else { continue }
                let notional = books[slot].instrument.baseQuantity(lots: position.lots) * price
                let amount = -position.side.sign * notional * settings.fundingRate * Double(batched ? rounds : 1)
                wallet += amount
                events.append(.funding(symbol: position.symbol, amount: amount, time: Timestamp(seconds: boundary)))
            }
            if boundary >= lastBoundary { return }
            boundary += interval
        }
    }

    static var maxFundingRounds: Int64 { 1_000 }

    /// Closes the positions in `doomed` at the market (or, isolated, at their bankruptcy price).
    private mutating func liquidate(_ doomed: [Int], at time: Timestamp, into events: inout [ExchangeEvent]) {
        for slot in doomed.sorted(by: { books[$0].instrument.symbol < books[$1].instrument.symbol }) {
            guard let position = books[slot].position, let price = books[slot].price else { continue }
            let symbol = position.symbol
            let order = OrderRequest(id: ClientOrderID("liquidation-\(symbol)-\(time.seconds)"), symbol: symbol,
                                     side: position.side.exitSide, lots: position.lots, kind: .market,
                                     reduceOnly: true, leverage: position.leverage, purpose: .exit(.liquidation))
            var fillPrice = price
            if settings.marginMode == .isolated {
                // An isolated position can lose its margin and no more: it is closed at its bankruptcy price (where
                // the loss equals the margin) when the market is past it, and the insurance fund takes the rest.
                // The fill says so, so whoever books it books the same loss as the wallet.
                let bankruptcy = position.entryPrice
                    - position.side.sign * position.margin / books[slot].instrument.baseQuantity(lots: position.lots)
                fillPrice = position.side == .long ? max(price, bankruptcy) : min(price, bankruptcy)
            }
            execute(order, slot: slot, price: fillPrice, time: time, isMaker: false, isLiquidation: true,
                    into: &events)
        }
    }
}
