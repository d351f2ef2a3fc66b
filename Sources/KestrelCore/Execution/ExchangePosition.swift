/// A position as the exchange holds it (one net position per symbol).
public struct ExchangePosition: Sendable, Hashable, Codable {
    public var symbol: String
    public var side: PositionSide
    public var lots: Int
    public var entryPrice: Double
    public var leverage: Int
    /// Margin set aside for the position (entry notional / leverage).
    public var margin: Double

    public init(symbol: String, side: PositionSide, lots: Int, entryPrice: Double, leverage: Int, margin: Double) {
        self.symbol = symbol
        self.side = side
        self.lots = lots
        self.entryPrice = entryPrice
        self.leverage = leverage
        self.margin = margin
    }
}
