/// An order in KuCoin's shapes: the REST order (§2, also each item of `/api/v1/orders` and `/api/v1/stopOrders`),
/// and the data of its `orderChange` and `stopOrder` pushes (§9a, §9b).
extension FakeOrder {
    /// `open` while active, `done` once filled or cancelled (never `active`: that is only a query value).
    var status: String { isActive ? "open" : "done" }

    /// §2's order, every field of the documentation's example: `price` null for a market order, `stopPrice` null
    /// without a stop and a string with one, `leverage` a string, sizes in lots, `orderTime` in nanoseconds.
    func json(multiplier: Double) -> String {
        // A limit order is worth its lots at its price; a market order what it filled for (KuCoin's capture shows
        // the two equal), so an unfired stop-market is worth "0", as the stopOrders example shows.
        let value = price.map { Double(size) * multiplier * $0 } ?? filledValue
        return FakeWire.object([
            "id": FakeWire.string(orderId), "symbol": FakeWire.string(symbol), "type": FakeWire.string(type),
            "side": FakeWire.string(side), "price": price.map(FakeWire.quoted) ?? "null", "size": "\(size)",
            "value": FakeWire.quoted(value), "dealValue": FakeWire.quoted(filledValue), "dealSize": "\(filledSize)",
            "stp": "\"\"", "stop": FakeWire.string(stop ?? ""), "stopPriceType": FakeWire.string(stopPriceType ?? ""),
            "stopTriggered": "\(stopTriggered)", "stopPrice": stopPrice.map(FakeWire.quoted) ?? "null",
            "timeInForce": FakeWire.string(timeInForce), "postOnly": "false", "hidden": "false", "iceberg": "false",
            "leverage": FakeWire.quoted(leverage), "forceHold": "false", "closeOrder": "false", "visibleSize": "0",
            "clientOid": FakeWire.string(clientOid), "remark": "null", "tags": "\"\"", "isActive": "\(isActive)",
            "cancelExist": "\(cancelled)", "createdAt": "\(createdAt)", "updatedAt": "\(updatedAt)",
            "endAt": endAt.map { "\($0)" } ?? "null", "orderTime": "\(orderTime)", "settleCurrency": "\"USDT\"",
            "marginMode": FakeWire.string(marginMode),
            "avgDealPrice": FakeWire.quoted(averagePrice(multiplier: multiplier)), "filledSize": "\(filledSize)",
            "filledValue": FakeWire.quoted(filledValue), "status": FakeWire.string(status),
            "reduceOnly": "\(reduceOnly)",
        ])
    }

    /// Nanoseconds, as KuCoin's `orderTime` (the fake's clock has milliseconds only).
    var orderTime: Int64 { createdAt * 1_000_000 }

    /// §9a's `orderChange` data for `change`, at `now` (ms): sizes and prices as strings, times in nanoseconds. A
    /// market order's `price` is `""`, as it carries none.
    func orderChangeJSON(_ change: FakeTradingEvent.OrderChange, now: Int64) -> String {
        var type = "open", status = "open", canceledSize = 0
        var remaining = size - filledSize
        var match: [(String, String)] = []
        switch change {
        case .open:
            break
        case .match(let fill):
            type = "match"
            status = "match"
            match = [("tradeId", FakeWire.string(fill.tradeId)), ("matchPrice", FakeWire.quoted(fill.price)),
                     ("matchSize", FakeWire.quoted(fill.size)), ("liquidity", FakeWire.string(fill.liquidity)),
                     ("feeType", fill.liquidity == "maker" ? "\"makerFee\"" : "\"takerFee\"")]
        case .filled:
            type = "filled"
            status = "done"
        case .canceled(let size):
            type = "canceled"
            status = "done"
            canceledSize = size
            remaining = 0
        }
        var fields: [(String, String)] = [
            ("symbol", FakeWire.string(symbol)), ("orderType", FakeWire.string(self.type)),
            ("side", FakeWire.string(side)), ("canceledSize", FakeWire.quoted(canceledSize)),
            ("orderId", FakeWire.string(orderId)), ("positionSide", "\"BOTH\""),
            ("marginMode", FakeWire.string(marginMode)), ("type", FakeWire.string(type)),
            ("orderTime", "\(orderTime)"), ("size", FakeWire.quoted(size)),
            ("filledSize", FakeWire.quoted(filledSize)), ("price", price.map(FakeWire.quoted) ?? "\"\""),
            ("remainSize", FakeWire.quoted(remaining)),
        ]
        fields += match
        fields += [("clientOid", FakeWire.string(clientOid)), ("tradeType", "\"trade\""),
                   ("status", FakeWire.string(status)), ("ts", "\(now * 1_000_000)")]
        return FakeWire.object(fields)
    }

    /// §9b's `stopOrder` data for `change`, at `now` (ms): no clientOid (KuCoin documents none), `size` a number,
    /// `orderPrice` null for a stop-market.
    func stopOrderJSON(_ change: FakeTradingEvent.StopChange, now: Int64) -> String {
        var fields: [(String, String)] = [
            ("createdAt", "\(createdAt)"), ("marginMode", FakeWire.string(marginMode)),
            ("orderId", FakeWire.string(orderId)), ("orderPrice", price.map(FakeWire.quoted) ?? "null"),
            ("orderType", "\"stop\""), ("side", FakeWire.string(side)), ("size", "\(size)"),
            ("stop", FakeWire.string(stop ?? "")), ("stopPrice", stopPrice.map(FakeWire.quoted) ?? "null"),
            ("stopPriceType", FakeWire.string(stopPriceType ?? "")), ("symbol", FakeWire.string(symbol)),
            ("ts", "\(now * 1_000_000)"),
        ]
        switch change {
        case .open: fields.append(("type", "\"open\""))
        case .cancel: fields.append(("type", "\"cancel\""))
        case .triggered: fields += [("type", "\"triggered\""), ("triggerSuccess", "true")]
        case .failed:
            fields += [("type", "\"triggered\""), ("triggerSuccess", "false"),
                       ("error", "\"error.createOrder.accountBalanceInsufficient\"")]
        }
        return FakeWire.object(fields)
    }
}
