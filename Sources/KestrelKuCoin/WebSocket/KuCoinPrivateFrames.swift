public import KestrelCore

/// An `orderChange` push (`/contractMarket/tradeOrders`): one step of an order's life. Sizes and prices come as
/// strings, times in nanoseconds (docs/kucoin-private.md §9a).
public struct KuCoinOrderUpdate: Sendable, Equatable {
    /// "open" (in the book), "match" (one execution), "filled", "canceled", "update" (size reduced).
    public var type: String
    public var orderID: String
    public var clientOid: String?
    public var symbol: String
    public var side: OrderSide
    /// A match's trade id, price and size (lots).
    public var tradeID: String?
    public var matchPrice: Double?
    public var matchSize: Int?
    public var isMaker: Bool
    public var isLiquidation: Bool
    public var nanoseconds: Int64
}

/// A `stopOrder` push (`/contractMarket/advancedOrders`): a stop placed, triggered or cancelled. It names KuCoin's
/// order id only (§9b).
public struct KuCoinStopOrderUpdate: Sendable, Equatable {
    /// "open", "triggered", "cancel".
    public var type: String
    public var orderID: String
    public var symbol: String
    /// For "triggered": whether the order it sends was placed, and KuCoin's reason when it was not.
    public var triggerSuccess: Bool?
    public var error: String?
}

/// A `position.change` push (`/contract/positionAll`). A mark-price frame carries no size: `quantity` nil, which
/// is never read as flat (§9c).
public struct KuCoinPositionUpdate: Sendable, Equatable {
    public var symbol: String
    /// Signed lots (negative: short); nil when the frame does not say.
    public var quantity: Int?
    public var entryPrice: Double?
    public var leverage: Int?
    public var margin: Double?
    public var changeReason: String?

    /// The position as the venue protocol describes it (nil: flat); nil outside when the frame gives no size.
    func exchangePosition(multiplier: Double?) -> ExchangePosition?? {
        guard let quantity else { return nil }
        guard quantity != 0, let entryPrice, entryPrice > 0 else { return .some(nil) }
        let leverage = max(1, leverage ?? 1)
        let lots = abs(quantity)
        return .some(ExchangePosition(symbol: symbol, side: quantity > 0 ? .long : .short, lots: lots,
                                      entryPrice: entryPrice, leverage: leverage,
                                      margin: margin ?? Double(lots) * (multiplier ?? 0) * entryPrice / Double(leverage)))
    }
}

/// The wire shapes of the private pushes' `data`, read leniently (strings or numbers).
struct OrderChangeWire: Decodable {
    var update: KuCoinOrderUpdate

    private enum CodingKeys: String, CodingKey {
        case type, orderId, clientOid, symbol, side, tradeId, matchPrice, matchSize, liquidity, tradeType, ts
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func required(_ key: CodingKeys) throws -> String {
            guard let text = try container.lenientString(forKey: key), !text.isEmpty else {
                throw DecodingError.keyNotFound(key, .init(codingPath: container.codingPath, debugDescription: "missing"))
            }
            return text
        }
        guard let side = OrderSide(rawValue: try required(.side)) else {
            throw DecodingError.dataCorruptedError(forKey: .side, in: container, debugDescription: "not buy or sell")
        }
        let nanoseconds = try container.lenientDouble(forKey: .ts) ?? 0
        let tradeType = try container.lenientString(forKey: .tradeType)
        update = KuCoinOrderUpdate(
            type: try required(.type), orderID: try required(.orderId),
            clientOid: try container.lenientString(forKey: .clientOid), symbol: try required(.symbol), side: side,
            tradeID: try container.lenientString(forKey: .tradeId),
            matchPrice: try container.lenientDouble(forKey: .matchPrice),
            matchSize: try container.lenientDouble(forKey: .matchSize)?.wholeNumber,
            isMaker: try container.lenientString(forKey: .liquidity) == "maker",
            isLiquidation: tradeType == "liquid" || tradeType == "adl",
            nanoseconds: nanoseconds >= 0 && nanoseconds < 9.2e18 ? Int64(nanoseconds) : 0)
    }
}

struct StopOrderWire: Decodable {
    var update: KuCoinStopOrderUpdate

    private enum CodingKeys: String, CodingKey {
        case type, orderId, symbol, triggerSuccess, error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let type = try container.lenientString(forKey: .type),
              let orderID = try container.lenientString(forKey: .orderId),
              let symbol = try container.lenientString(forKey: .symbol) else {
            throw DecodingError.keyNotFound(CodingKeys.orderId, .init(codingPath: container.codingPath,
                                                                      debugDescription: "type, orderId or symbol"))
        }
        update = KuCoinStopOrderUpdate(type: type, orderID: orderID, symbol: symbol,
                                       triggerSuccess: try container.lenientBool(forKey: .triggerSuccess),
                                       error: try container.lenientString(forKey: .error))
    }
}

struct WalletChangeWire: Decodable {
    var walletBalance: Double?

    private enum CodingKeys: String, CodingKey {
        case walletBalance
    }

    init(from decoder: any Decoder) throws {
        walletBalance = try decoder.container(keyedBy: CodingKeys.self).lenientDouble(forKey: .walletBalance)
    }
}

extension PositionWire {
    /// The push's position; the symbol from the topic when the frame leaves it out.
    func update(topicSymbol: String?) -> KuCoinPositionUpdate? {
        guard let symbol = symbol ?? topicSymbol else { return nil }
        return KuCoinPositionUpdate(symbol: symbol, quantity: currentQty?.wholeNumber, entryPrice: avgEntryPrice,
                                    leverage: (leverage ?? realLeverage)?.wholeNumber,
                                    margin: posInit ?? posMargin, changeReason: changeReason)
    }
}
