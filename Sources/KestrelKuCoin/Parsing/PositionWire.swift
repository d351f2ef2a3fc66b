/// A position as `GET /api/v1/positions` and the private stream's `position.change` describe it (numbers, strings
/// of them taken too): docs/kucoin-private.md §6 and §9c. A stream frame may carry only some fields (the mark-price
/// frames carry no `currentQty`), so each is optional: a missing size is never taken as zero.
struct PositionWire: Decodable, Sendable, Equatable {
    var symbol: String?
    /// Signed lots: negative is short.
    var currentQty: Double?
    var isOpen: Bool?
    var avgEntryPrice: Double?
    var leverage: Double?
    /// Isolated positions only.
    var realLeverage: Double?
    /// The margin set aside when the position was opened.
    var posInit: Double?
    var posMargin: Double?
    var marginMode: String?
    var changeReason: String?

    private enum CodingKeys: String, CodingKey {
        case symbol, currentQty, isOpen, avgEntryPrice, leverage, realLeverage, posInit, posMargin, marginMode
        case changeReason
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try container.lenientString(forKey: .symbol)
        currentQty = try container.lenientDouble(forKey: .currentQty)
        isOpen = try container.lenientBool(forKey: .isOpen)
        avgEntryPrice = try container.lenientDouble(forKey: .avgEntryPrice)
        leverage = try container.lenientDouble(forKey: .leverage)
        realLeverage = try container.lenientDouble(forKey: .realLeverage)
        posInit = try container.lenientDouble(forKey: .posInit)
        posMargin = try container.lenientDouble(forKey: .posMargin)
        marginMode = try container.lenientString(forKey: .marginMode)
        changeReason = try container.lenientString(forKey: .changeReason)
    }
}

/// A fill as `GET /api/v1/recentFills` describes it: docs/kucoin-private.md §8. It names KuCoin's order id, not the
/// client's: the venue maps one to the other.
struct FillWire: Decodable, Sendable, Equatable {
    var tradeId: String?
    var orderId: String?
    var symbol: String?
    var side: String?
    /// "taker" or "maker".
    var liquidity: String?
    var price: Double?
    var size: Double?
    /// Positive when paid.
    var fee: Double?
    /// "trade", "liquid", "adl", "settlement", "cancel".
    var tradeType: String?
    /// Nanoseconds.
    var tradeTime: Double?
    /// Milliseconds.
    var createdAt: Double?

    private enum CodingKeys: String, CodingKey {
        case tradeId, orderId, symbol, side, liquidity, price, size, fee, tradeType, tradeTime, createdAt
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tradeId = try container.lenientString(forKey: .tradeId)
        orderId = try container.lenientString(forKey: .orderId)
        symbol = try container.lenientString(forKey: .symbol)
        side = try container.lenientString(forKey: .side)
        liquidity = try container.lenientString(forKey: .liquidity)
        price = try container.lenientDouble(forKey: .price)
        size = try container.lenientDouble(forKey: .size)
        fee = try container.lenientDouble(forKey: .fee)
        tradeType = try container.lenientString(forKey: .tradeType)
        tradeTime = try container.lenientDouble(forKey: .tradeTime)
        createdAt = try container.lenientDouble(forKey: .createdAt)
    }
}
