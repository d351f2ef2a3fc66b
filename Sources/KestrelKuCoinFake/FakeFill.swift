/// One trade of one of the account's orders, as `/api/v1/recentFills` lists it.
public struct FakeFill: Sendable, Equatable {
    /// KuCoin's fee rates for a taker and a maker (the contracts list shows the same).
    public static let takerFeeRate = 0.0006
    public static let makerFeeRate = 0.0002

    /// Numeric-looking, from a counter (`"1784277229880"`).
    public var tradeId: String
    public var orderId: String
    public var clientOid: String
    public var symbol: String
    /// `buy` or `sell`.
    public var side: String
    public var price: Double
    /// Lots.
    public var size: Int
    /// USDT; positive when paid.
    public var fee: Double
    /// The part of `fee` charged for lots that closed a position (KuCoin's `closeFeePay`); the rest opened lots.
    public var closeFee: Double
    /// `taker` or `maker`.
    public var liquidity: String
    /// The order's type (`market`/`limit`) and stop direction (`""` for a plain order).
    public var orderType: String
    public var stop: String
    public var marginMode: String
    /// Milliseconds.
    public var time: Int64

    public init(tradeId: String, orderId: String, clientOid: String, symbol: String, side: String, price: Double,
                size: Int, fee: Double, closeFee: Double = 0, liquidity: String, orderType: String = "market",
                stop: String = "", marginMode: String = "ISOLATED", time: Int64) {
        self.tradeId = tradeId
        self.orderId = orderId
        self.clientOid = clientOid
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.fee = fee
        self.closeFee = closeFee
        self.liquidity = liquidity
        self.orderType = orderType
        self.stop = stop
        self.marginMode = marginMode
        self.time = time
    }

    var feeRate: Double { liquidity == "maker" ? Self.makerFeeRate : Self.takerFeeRate }

    /// The fill's value in USDT.
    func value(multiplier: Double) -> Double { Double(size) * multiplier * price }

    /// The fill in §8's shape: prices, values and fees as strings, the size in lots, `tradeTime` in nanoseconds.
    func json(multiplier: Double) -> String {
        FakeWire.object([
            "symbol": FakeWire.string(symbol), "tradeId": FakeWire.string(tradeId),
            "orderId": FakeWire.string(orderId), "side": FakeWire.string(side),
            "liquidity": FakeWire.string(liquidity), "forceTaker": "false", "price": FakeWire.quoted(price),
            "size": "\(size)", "value": FakeWire.quoted(value(multiplier: multiplier)),
            "openFeePay": FakeWire.quoted(fee - closeFee), "closeFeePay": FakeWire.quoted(closeFee),
            "stop": FakeWire.string(stop), "feeRate": FakeWire.quoted(feeRate), "fixFee": "\"0\"",
            "feeCurrency": "\"USDT\"", "marginMode": FakeWire.string(marginMode), "fee": FakeWire.quoted(fee),
            "settleCurrency": "\"USDT\"", "orderType": FakeWire.string(orderType),
            "displayType": FakeWire.string(stop.isEmpty ? orderType : "\(orderType)_stop"),
            "tradeType": "\"trade\"", "subTradeType": "null", "tradeTime": "\(time * 1_000_000)",
            "createdAt": "\(time)",
        ])
    }
}
