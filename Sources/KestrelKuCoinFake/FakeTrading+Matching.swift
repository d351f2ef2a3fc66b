/// The fake's matching: orders placed, cancelled, and reached by price moves, as pure changes of the trading state and
/// the account that return what happened, in order, for the private pushes. The book has no depth: a taker trades
/// all it can at the price of now, a resting limit order all it can at its own price once the price reaches it.
extension FakeTrading {
    /// What matching reads besides the trading state.
    struct Context {
        var market: FakeMarket
        /// Milliseconds.
        var now: Int64
    }

    /// Places the order `request` describes: a stop rests untriggered; a market order, or a limit order the price
    /// has reached, trades at once; any other limit order rests. Refused, with KuCoin's code, when the exchange
    /// would refuse it.
    mutating func place(_ request: FakeOrderRequest, _ context: Context, account: inout FakeAccount)
        throws(FakeRefusal) -> (order: FakeOrder, events: [FakeTradingEvent]) {
        let symbol = request.symbol
        guard let price = price(of: symbol, in: context.market) else {
            throw FakeRefusal(code: "200003", message: "contract does not exist")
        }
        guard orders[request.clientOid] == nil else {
            throw FakeRefusal(code: "300018", message: "clientOid parameter repeated")
        }
        guard request.marginMode == marginMode(of: symbol) else {
            throw FakeRefusal(code: "330005", message: "The order's margin mode does not match the selected one. "
                + "Please switch and try again.")
        }
        let leverage = request.leverage ?? positions[symbol]?.leverage ?? 1
        if request.stop == nil, !request.reduceOnly {
            let lots = openingLots(side: request.side, size: request.size, symbol: symbol)
            let margin = Double(lots) * multiplier(of: symbol, in: context.market) * (request.price ?? price)
                / Double(leverage)
            guard margin <= available(account) else {
                throw FakeRefusal(code: "300003", message: "Balance insufficient")
            }
        }
        if request.stop == nil, request.reduceOnly, request.type == "market",
           reducibleLots(side: request.side, symbol: symbol) == 0 {
            throw FakeRefusal(code: "300009", message: "position size 0, unable to close")
        }
        if request.stop != nil, refuseStops > 0 {
            refuseStops -= 1
            throw .invalid("stop order refused by the fake")
        }
        lastOrderNumber += 1
        let order = FakeOrder(orderId: "\(lastOrderNumber)", clientOid: request.clientOid, symbol: symbol,
                              side: request.side, type: request.type, size: request.size, price: request.price,
                              stop: request.stop, stopPrice: request.stopPrice, stopPriceType: request.stopPriceType,
                              reduceOnly: request.reduceOnly, leverage: leverage, marginMode: request.marginMode,
                              timeInForce: request.timeInForce, createdAt: context.now)
        orders[order.clientOid] = order
        let events = order.stop == nil ? enter(order.clientOid, at: price, context, account: &account)
            : [.stop(order, .open)]
        recompute(&account, in: context.market)
        return (orders[order.clientOid] ?? order, events)
    }

    /// Cancels the open order or untriggered stop `clientOid` of `symbol`; code 100004 when there is none.
    mutating func cancel(_ clientOid: String, symbol: String, _ context: Context, account: inout FakeAccount)
        throws(FakeRefusal) -> [FakeTradingEvent] {
        guard let order = orders[clientOid], order.isActive, order.symbol == symbol else {
            throw FakeRefusal(code: "100004", message: "The order cannot be canceled.")
        }
        let events = cancelRemainder(clientOid, context)
        recompute(&account, in: context.market)
        return events
    }

    /// Changes `symbol`'s margin mode; code 330006 while it has a position, an open order or a stop.
    mutating func changeMarginMode(of symbol: String, to mode: String, _ context: Context) throws(FakeRefusal) {
        guard price(of: symbol, in: context.market) != nil else {
            throw FakeRefusal(code: "200003", message: "contract does not exist")
        }
        guard ["ISOLATED", "CROSS"].contains(mode) else { throw .invalid("marginMode must be ISOLATED or CROSS") }
        guard mode == marginMode(of: symbol) || !isBusy(symbol) else {
            throw FakeRefusal(code: "330006", message: "position or open orders exist")
        }
        marginModes[symbol] = mode
    }

    /// Moves `symbol` to `price`: the resting limit orders it reaches fill (maker, at their price), then the stops
    /// it crosses fire and trade (oldest first, each).
    mutating func move(_ symbol: String, to price: Double, _ context: Context, account: inout FakeAccount)
        -> [FakeTradingEvent] {
        prices[symbol] = price
        var events = [FakeTradingEvent]()
        let reached = orders.values.filter {
            $0.symbol == symbol && $0.isActive && !$0.isUntriggeredStop && $0.type == "limit"
                && $0.isMarketable(at: price)
        }
        for order in reached.sorted(by: FakeOrder.isOlder) {
            events += execute(order.clientOid, at: order.price ?? price, liquidity: "maker", context, account: &account)
        }
        let crossed = orders.values.filter {
            $0.symbol == symbol && $0.isActive && $0.isUntriggeredStop && $0.triggers(at: price)
        }
        for stop in crossed.sorted(by: FakeOrder.isOlder) {
            events += fire(stop.clientOid, at: price, context, account: &account)
        }
        recompute(&account, in: context.market)
        return events
    }

    // MARK: Execution

    /// A stop fires: it is marked triggered and enters the book as the order it carries, or is cancelled when the
    /// account can no longer hold the margin an opening order needs (KuCoin's failed trigger).
    private mutating func fire(_ clientOid: String, at price: Double, _ context: Context,
                               account: inout FakeAccount) -> [FakeTradingEvent] {
        guard var order = orders[clientOid] else { return [] }
        order.stopTriggered = true
        order.updatedAt = context.now
        orders[clientOid] = order
        let lots = order.reduceOnly ? 0 : openingLots(side: order.side, size: order.size, symbol: order.symbol)
        let margin = Double(lots) * multiplier(of: order.symbol, in: context.market) * (order.price ?? price)
            / Double(max(1, order.leverage))
        guard margin <= available(account) else {
            return [.stop(order, .failed)] + cancelRemainder(clientOid, context)
        }
        return [.stop(order, .triggered)] + enter(clientOid, at: price, context, account: &account)
    }

    /// A plain order (new, or a fired stop) meets the book at `price`: it trades at once if it can, an IOC order
    /// that can't is cancelled, any other rests.
    private mutating func enter(_ clientOid: String, at price: Double, _ context: Context,
                                account: inout FakeAccount) -> [FakeTradingEvent] {
        guard let order = orders[clientOid] else { return [] }
        if order.isMarketable(at: price) {
            return execute(clientOid, at: price, liquidity: "taker", context, account: &account)
        }
        if order.timeInForce == "IOC" { return cancelRemainder(clientOid, context) }
        recompute(&account, in: context.market)
        return [.order(order, .open)]
    }

    /// `clientOid` trades all its unfilled lots at `price` (a reduce-only order no more than the position it
    /// reduces, the rest cancelled): one `match` per trade (a taker's in `marketFillPieces` pieces), then `filled` or
    /// `canceled`, then the position and the wallet as they are after it.
    private mutating func execute(_ clientOid: String, at price: Double, liquidity: String, _ context: Context,
                                  account: inout FakeAccount) -> [FakeTradingEvent] {
        guard var order = orders[clientOid], order.isActive else { return [] }
        var lots = order.remainingSize
        if order.reduceOnly { lots = min(lots, reducibleLots(side: order.side, symbol: order.symbol)) }
        var events = [FakeTradingEvent]()
        let pieces = liquidity == "taker" ? max(1, min(marketFillPieces, lots)) : 1
        for piece in 0..<pieces where lots > 0 {
            let size = lots / pieces + (piece < lots % pieces ? 1 : 0)
            let fill = trade(&order, lots: size, at: price, liquidity: liquidity, context, account: &account)
            events.append(.order(order, .match(fill)))
        }
        orders[clientOid] = order
        if order.filledSize == order.size {
            order.isActive = false
            order.endAt = context.now
            orders[clientOid] = order
            events.append(.order(order, .filled))
        } else {
            events += cancelRemainder(clientOid, context)
        }
        if lots > 0 { events += settle(order.symbol, context, account: &account) }
        return events
    }

    /// One trade of `lots` of `order` at `price`: booked in the position, its realised PnL less its fee in the
    /// wallet, and recorded as a fill.
    private mutating func trade(_ order: inout FakeOrder, lots: Int, at price: Double, liquidity: String,
                                _ context: Context, account: inout FakeAccount) -> FakeFill {
        let multiplier = multiplier(of: order.symbol, in: context.market)
        let value = Double(lots) * multiplier * price
        let fee = value * (liquidity == "maker" ? FakeFill.makerFeeRate : FakeFill.takerFeeRate)
        var position = positions[order.symbol].flatMap { $0.quantity == 0 ? nil : $0 }
            ?? FakePosition(symbol: order.symbol, quantity: 0, entryPrice: price, leverage: order.leverage,
                            marginMode: order.marginMode, openedAt: context.now)
        let closedLots = position.quantity * order.direction < 0 ? min(lots, abs(position.quantity)) : 0
        let pnl = position.book(lots: lots * order.direction, at: price, multiplier: multiplier,
                                leverage: order.leverage, now: context.now)
        position.realisedPnL += pnl - fee
        position.fees += fee
        positions[order.symbol] = position
        account.walletBalance += pnl - fee
        order.filledSize += lots
        order.filledValue += value
        order.updatedAt = context.now
        lastTradeNumber += 1
        let fill = FakeFill(tradeId: "\(lastTradeNumber)", orderId: order.orderId, clientOid: order.clientOid,
                            symbol: order.symbol, side: order.side, price: price, size: lots, fee: fee,
                            closeFee: fee * Double(closedLots) / Double(lots), liquidity: liquidity,
                            orderType: order.type, stop: order.stop ?? "", marginMode: order.marginMode,
                            time: context.now)
        fills.append(fill)
        return fill
    }

    /// After a fill: the position as it stands (removed once it is flat, after its closing push) and the wallet.
    private mutating func settle(_ symbol: String, _ context: Context, account: inout FakeAccount)
        -> [FakeTradingEvent] {
        var events = [FakeTradingEvent]()
        if let position = positions[symbol] {
            events.append(.position(position, markPrice: price(of: symbol, in: context.market) ?? position.entryPrice,
                                    multiplier: multiplier(of: symbol, in: context.market)))
            if position.quantity == 0 { positions[symbol] = nil }
        }
        recompute(&account, in: context.market)
        walletVersion += 1
        events.append(.wallet(.init(balance: account.walletBalance, margins: margins(in: context.market),
                                    version: walletVersion)))
        return events
    }

    /// Cancels what is left of an active order: `canceled` for a plain or fired order, `cancel` for a stop that has
    /// not fired.
    private mutating func cancelRemainder(_ clientOid: String, _ context: Context) -> [FakeTradingEvent] {
        guard var order = orders[clientOid], order.isActive else { return [] }
        let left = order.remainingSize
        order.isActive = false
        order.cancelled = true
        order.updatedAt = context.now
        order.endAt = context.now
        orders[clientOid] = order
        return order.isUntriggeredStop ? [.stop(order, .cancel)] : [.order(order, .canceled(size: left))]
    }

    /// The lots of an order of `size` on `side` that would open or add to a position, not close one.
    private func openingLots(side: String, size: Int, symbol: String) -> Int {
        let reducible = reducibleLots(side: side, symbol: symbol)
        return max(0, size - reducible)
    }

    /// The lots an order on `side` can close: the position's size when it is on the other side, else none.
    private func reducibleLots(side: String, symbol: String) -> Int {
        let quantity = positions[symbol]?.quantity ?? 0
        return (side == "buy" ? -quantity : quantity) > 0 ? abs(quantity) : 0
    }
}
