/// The account's trading on the fake: margin modes, positions, orders, fills and prices, with the knobs that make it
/// misbehave as the real exchange sometimes does. Changed by the order routes and by price moves
/// (FakeTrading+Matching.swift), or directly by a test (`FakeKuCoin.updateTrading`).
public struct FakeTrading: Sendable {
    /// Per symbol, `ISOLATED` (what a symbol without an entry is in) or `CROSS`.
    public var marginModes: [String: String] = [:]
    /// One net position per symbol (one-way mode); a position that closes is removed.
    public var positions: [String: FakePosition] = [:]
    /// Every order, by its clientOid (the fake refuses orders without one).
    public var orders: [String: FakeOrder] = [:]
    /// Every fill, oldest first.
    public var fills: [FakeFill] = []
    /// The price of each symbol now, as last, mark and index price alike; a symbol without one is at its contract's
    /// `lastTradePrice`.
    public var prices: [String: Double] = [:]

    /// A taker execution (a market order, a marketable limit order, a fired stop) trades in this many pieces, as
    /// even as possible: partial fills, each with its own trade and `match` push.
    public var marketFillPieces = 1
    /// The next this-many stop orders are refused (code 100001, "stop order refused by the fake").
    public var refuseStops = 0
    /// Every private push is sent twice, identically, as a reconnecting gateway sometimes does.
    public var duplicatePushes = false

    /// The last ids given: each new order or trade takes the next one.
    var lastOrderNumber: Int64 = 358_883_601_460_314_112
    var lastTradeNumber: Int64 = 1_873_921_404_162
    /// The wallet push's `version`, one more with each.
    var walletVersion = 0

    public init() {}

    /// `symbol`'s margin mode: `ISOLATED` unless it was changed.
    public func marginMode(of symbol: String) -> String { marginModes[symbol] ?? "ISOLATED" }

    /// The order KuCoin knows as `id`.
    public func order(id: String) -> FakeOrder? { orders.values.first { $0.orderId == id } }

    /// `symbol`'s price now, or nil for a symbol the market does not list.
    func price(of symbol: String, in market: FakeMarket) -> Double? {
        prices[symbol] ?? market.contracts.first { $0.symbol == symbol }?.lastTradePrice
    }

    /// How many base coins one lot of `symbol` is (1 for a symbol the market does not list, so sums stay finite).
    func multiplier(of symbol: String, in market: FakeMarket) -> Double {
        market.contracts.first { $0.symbol == symbol }?.multiplier ?? 1
    }

    /// Whether `symbol` has a position, an open order or a stop: its margin mode can't change then.
    func isBusy(_ symbol: String) -> Bool {
        positions[symbol].map { $0.quantity != 0 } == true
            || orders.values.contains { $0.symbol == symbol && $0.isActive }
    }

    /// The margin that `order`'s unfilled lots hold while it rests: none for a stop that has not fired (KuCoin
    /// freezes nothing for those) nor for a reduce-only order.
    func orderMargin(of order: FakeOrder, in market: FakeMarket) -> Double {
        guard order.isActive, !order.isUntriggeredStop, !order.reduceOnly, let price = order.price else { return 0 }
        return Double(order.remainingSize) * multiplier(of: order.symbol, in: market) * price
            / Double(max(1, order.leverage))
    }

    /// The account's margins and unrealised PnL, split by margin mode, at the prices of now.
    func margins(in market: FakeMarket) -> Margins {
        var margins = Margins()
        for position in positions.values {
            let multiplier = multiplier(of: position.symbol, in: market)
            let pnl = position.unrealisedPnL(at: price(of: position.symbol, in: market) ?? position.entryPrice,
                                             multiplier: multiplier)
            let margin = position.margin(multiplier: multiplier)
            if position.marginMode == "CROSS" {
                margins.crossPosition += margin
                margins.crossUnrealised += pnl
            } else {
                margins.isolatedPosition += margin
                margins.isolatedUnrealised += pnl
            }
        }
        for order in orders.values where order.isActive {
            let margin = orderMargin(of: order, in: market)
            if order.marginMode == "CROSS" { margins.crossOrder += margin } else { margins.isolatedOrder += margin }
        }
        return margins
    }

    /// Sets the account's `positionMargin`, `orderMargin` and `unrealisedPnL` from the positions, orders and prices,
    /// so the account overview agrees with them.
    func recompute(_ account: inout FakeAccount, in market: FakeMarket) {
        let margins = margins(in: market)
        account.positionMargin = margins.crossPosition + margins.isolatedPosition
        account.orderMargin = margins.crossOrder + margins.isolatedOrder
        account.unrealisedPnL = margins.crossUnrealised + margins.isolatedUnrealised
    }

    /// USDT the account can still commit: the wallet less the margins held (as the account overview counts it).
    func available(_ account: FakeAccount) -> Double {
        account.walletBalance - account.positionMargin - account.orderMargin
    }

    /// Margins and unrealised PnL by margin mode, as the wallet push reports them.
    struct Margins: Sendable {
        var crossPosition = 0.0
        var isolatedPosition = 0.0
        var crossOrder = 0.0
        var isolatedOrder = 0.0
        var crossUnrealised = 0.0
        var isolatedUnrealised = 0.0
    }
}
