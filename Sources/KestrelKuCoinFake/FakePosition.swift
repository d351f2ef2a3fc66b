/// A symbol's position in one-way mode: one net quantity, long or short, at an average entry price.
public struct FakePosition: Sendable, Equatable {
    public var symbol: String
    /// Signed lots: negative for a short.
    public var quantity: Int
    /// The average price the open lots were entered at (kept when the position closes, as KuCoin's closing push
    /// shows it).
    public var entryPrice: Double
    public var leverage: Int
    /// `ISOLATED` or `CROSS`.
    public var marginMode: String
    /// Realised profit since the position opened, net of the fees paid (KuCoin's `realisedPnl`).
    public var realisedPnL: Double
    /// Fees paid since the position opened (KuCoin's `currentComm`); `realisedPnL + fees` is the gross PnL.
    public var fees: Double
    /// Milliseconds.
    public var openedAt: Int64

    public init(symbol: String, quantity: Int, entryPrice: Double, leverage: Int, marginMode: String = "ISOLATED",
                realisedPnL: Double = 0, fees: Double = 0, openedAt: Int64) {
        self.symbol = symbol
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.leverage = leverage
        self.marginMode = marginMode
        self.realisedPnL = realisedPnL
        self.fees = fees
        self.openedAt = openedAt
    }

    /// The USDT the open lots were bought or sold for (signed as the quantity).
    func cost(multiplier: Double) -> Double { Double(quantity) * multiplier * entryPrice }

    /// The margin that holds the position: its cost over its leverage.
    func margin(multiplier: Double) -> Double { abs(cost(multiplier: multiplier)) / Double(max(1, leverage)) }

    /// Profit or loss of the open lots at `price`.
    func unrealisedPnL(at price: Double, multiplier: Double) -> Double {
        Double(quantity) * multiplier * (price - entryPrice)
    }

    /// Books a fill of `lots` (signed: negative sells) at `price`: a fill in the position's direction averages the
    /// entry; one against it closes lots at a profit or loss, and one larger than the position turns it over, the
    /// new side entered at `price`. Returns the PnL realised before fees.
    mutating func book(lots: Int, at price: Double, multiplier: Double, leverage newLeverage: Int, now: Int64)
        -> Double {
        let previous = quantity
        let total = previous + lots
        guard previous != 0, (previous > 0) != (lots > 0) else {
            // Opening or adding: the entry is the average of the old lots and the new ones.
            entryPrice = previous == 0 ? price
                : (Double(abs(previous)) * entryPrice + Double(abs(lots)) * price) / Double(abs(total))
            if previous == 0 {
                openedAt = now
                leverage = newLeverage
            }
            quantity = total
            return 0
        }
        let closed = min(abs(lots), abs(previous))
        let pnl = Double(closed) * multiplier * (price - entryPrice) * (previous > 0 ? 1 : -1)
        if total != 0, (total > 0) != (previous > 0) {
            // Turned over: what is left is a new position on the other side.
            entryPrice = price
            openedAt = now
            leverage = newLeverage
        }
        quantity = total
        return pnl
    }
}
