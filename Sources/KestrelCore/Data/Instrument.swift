import Foundation

/// A perpetual-futures contract as an exchange describes it.
///
/// Orders are sized in whole lots: one lot is `contractMultiplier` units of the base asset (on KuCoin's XBTUSDTM,
/// one lot is 0.001 BTC). Ignoring the multiplier was the original bot's most expensive bug.
public struct Instrument: Hashable, Sendable, Codable {
    public var symbol: String
    public var base: String
    public var quote: String
    /// Base-asset units per lot.
    public var contractMultiplier: Double
    /// Smallest order, in lots; orders are whole multiples of it.
    public var lotSize: Int
    /// Smallest price increment.
    public var tickSize: Double { didSet { tickPlaces = Self.tickPlaces(of: tickSize) } }
    public var maxLeverage: Int
    /// Quote-currency volume traded over the last 24 hours.
    public var quoteVolume24h: Double
    /// Last traded price when the instrument was listed; 0 when unknown.
    public var lastPrice: Double
    public var isActive: Bool
    /// The tick's decimal places, worked out once: prices are rounded to the tick at every order and stop move, and
    /// finding the places costs a few calls into the C library each time. A byte, held where the struct has room.
    private var tickPlaces: UInt8

    public init(
        symbol: String, base: String, quote: String, contractMultiplier: Double, lotSize: Int = 1,
        tickSize: Double, maxLeverage: Int, quoteVolume24h: Double = 0, lastPrice: Double = 0, isActive: Bool = true
    ) {
        self.symbol = symbol
        self.base = base
        self.quote = quote
        self.contractMultiplier = contractMultiplier
        self.lotSize = lotSize
        self.tickSize = tickSize
        tickPlaces = Self.tickPlaces(of: tickSize)
        self.maxLeverage = maxLeverage
        self.quoteVolume24h = quoteVolume24h
        self.lastPrice = lastPrice
        self.isActive = isActive
    }

    /// Rounds a price to the nearest tick, as it must be before it leaves the process.
    public func roundToTick(_ price: Double) -> Double { Self.round(price, toTick: tickSize, places: Int(tickPlaces)) }

    /// The price rounded to the tick and written with the tick's decimal places and no exponent ("0.0001234",
    /// "67430.9"), as an exchange takes it.
    public func priceText(_ price: Double) -> String {
        String(format: "%.\(tickPlaces)f", roundToTick(price))
    }

    /// Rounds `price` to the nearest multiple of `tickSize`.
    public static func round(_ price: Double, toTick tickSize: Double) -> Double {
        round(price, toTick: tickSize, places: decimalPlaces(of: tickSize))
    }

    /// `round(_:toTick:)` for a tick of `places` decimal places.
    private static func round(_ price: Double, toTick tickSize: Double, places: Int) -> Double {
        let ticks = (price / tickSize).rounded()
        // Re-derive through the tick's decimal places so 0.1 + 0.2 style residue does not reach the exchange.
        guard places > 0, places <= 15 else { return ticks * tickSize }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (ticks * (tickSize * scale).rounded()) / scale
    }

    private static func tickPlaces(of tickSize: Double) -> UInt8 { UInt8(decimalPlaces(of: tickSize)) }

    /// Number of decimal places of the tick size (0.01 -> 2).
    static func decimalPlaces(of tickSize: Double) -> Int {
        var places = 0
        var value = tickSize
        while places < 15, (value - value.rounded()).magnitude > 1e-9 * max(1, value.magnitude) {
            value *= 10
            places += 1
        }
        return places
    }

    /// Whole lots (a multiple of `lotSize`, rounded down) for a quantity of the base asset.
    public func lots(forBaseQuantity quantity: Double) -> Int {
        guard quantity.isFinite, quantity > 0 else { return 0 }
        let raw = Int((quantity / contractMultiplier + 1e-9).rounded(.down))
        return raw / lotSize * lotSize
    }

    /// Base-asset quantity of a number of lots.
    public func baseQuantity(lots: Int) -> Double { Double(lots) * contractMultiplier }

    private enum CodingKeys: String, CodingKey {
        case symbol, base, quote, contractMultiplier, lotSize, tickSize, maxLeverage, quoteVolume24h, lastPrice,
             isActive
    }

    /// Decoded through the initialiser, which works the tick's scale out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(symbol: try container.decode(String.self, forKey: .symbol),
                  base: try container.decode(String.self, forKey: .base),
                  quote: try container.decode(String.self, forKey: .quote),
                  contractMultiplier: try container.decode(Double.self, forKey: .contractMultiplier),
                  lotSize: try container.decode(Int.self, forKey: .lotSize),
                  tickSize: try container.decode(Double.self, forKey: .tickSize),
                  maxLeverage: try container.decode(Int.self, forKey: .maxLeverage),
                  quoteVolume24h: try container.decode(Double.self, forKey: .quoteVolume24h),
                  lastPrice: try container.decode(Double.self, forKey: .lastPrice),
                  isActive: try container.decode(Bool.self, forKey: .isActive))
    }
}
