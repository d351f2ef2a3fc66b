/// An order as the fake keeps it: a plain order, or a stop order (`stop` set) that rests untriggered until the price
/// crosses `stopPrice`, then lives on as the order it carries, with the same ids.
public struct FakeOrder: Sendable, Equatable {
    /// Numeric-looking, from a counter, as KuCoin's ids look (`"358883601460314112"`).
    public var orderId: String
    public var clientOid: String
    public var symbol: String
    /// `buy` or `sell`.
    public var side: String
    /// `market` or `limit`.
    public var type: String
    /// Lots.
    public var size: Int
    /// The limit price; nil for a market order.
    public var price: Double?
    /// `up` or `down` for a stop order; nil for a plain one.
    public var stop: String?
    public var stopPrice: Double?
    /// `TP`, `MP` or `IP`; the fake has one price per symbol, so all three trigger alike.
    public var stopPriceType: String?
    public var reduceOnly: Bool
    public var leverage: Int
    /// `ISOLATED` or `CROSS`.
    public var marginMode: String
    /// `GTC` or `IOC`: an IOC limit order that does not fill at once is cancelled instead of resting.
    public var timeInForce: String
    /// True while the order rests (a stop, triggered or not, until it is done).
    public var isActive: Bool
    /// Lots filled so far, and their value in USDT.
    public var filledSize: Int
    public var filledValue: Double
    /// KuCoin's `cancelExist`: the order, or what was left of it, was cancelled.
    public var cancelled: Bool
    public var stopTriggered: Bool
    /// Milliseconds.
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When the order became done, in milliseconds; nil while it is active.
    public var endAt: Int64?

    public init(orderId: String, clientOid: String, symbol: String, side: String, type: String, size: Int,
                price: Double? = nil, stop: String? = nil, stopPrice: Double? = nil, stopPriceType: String? = nil,
                reduceOnly: Bool = false, leverage: Int = 1, marginMode: String = "ISOLATED",
                timeInForce: String = "GTC", isActive: Bool = true, filledSize: Int = 0, filledValue: Double = 0,
                cancelled: Bool = false, stopTriggered: Bool = false, createdAt: Int64, updatedAt: Int64? = nil,
                endAt: Int64? = nil) {
        self.orderId = orderId
        self.clientOid = clientOid
        self.symbol = symbol
        self.side = side
        self.type = type
        self.size = size
        self.price = price
        self.stop = stop
        self.stopPrice = stopPrice
        self.stopPriceType = stopPriceType
        self.reduceOnly = reduceOnly
        self.leverage = leverage
        self.marginMode = marginMode
        self.timeInForce = timeInForce
        self.isActive = isActive
        self.filledSize = filledSize
        self.filledValue = filledValue
        self.cancelled = cancelled
        self.stopTriggered = stopTriggered
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.endAt = endAt
    }

    /// A stop that has not fired: listed by `/api/v1/stopOrders`, not by `/api/v1/orders`.
    public var isUntriggeredStop: Bool { stop != nil && !stopTriggered }

    /// Lots neither filled nor cancelled.
    public var remainingSize: Int { isActive ? size - filledSize : 0 }

    /// +1 for a buy, −1 for a sell.
    var direction: Int { side == "buy" ? 1 : -1 }

    /// The average price of the fills so far, in USDT per base coin.
    func averagePrice(multiplier: Double) -> Double {
        filledSize > 0 && multiplier > 0 ? filledValue / (Double(filledSize) * multiplier) : 0
    }

    /// Whether a limit order would trade at once at `price` (a buy at or above it, a sell at or below it).
    func isMarketable(at price: Double) -> Bool {
        guard let limit = self.price else { return true }
        return side == "buy" ? limit >= price : limit <= price
    }

    /// Whether a stop fires at `price`: `down` at or below its stop price, `up` at or above.
    func triggers(at price: Double) -> Bool {
        guard let stop, let stopPrice else { return false }
        return stop == "down" ? price <= stopPrice : price >= stopPrice
    }

    /// Where the order sorts in lists: by creation, then by id (ids grow with each order).
    static func isOlder(_ lhs: FakeOrder, _ rhs: FakeOrder) -> Bool {
        (lhs.createdAt, Int64(lhs.orderId) ?? 0, lhs.clientOid)
            < (rhs.createdAt, Int64(rhs.orderId) ?? 0, rhs.clientOid)
    }
}
