/// An order as KuCoin's order endpoints describe it (`byClientOid`, `/orders/{id}`, the active and stop-order lists):
/// docs/kucoin-private.md §2 and §4. The sources disagree on the types of several fields (`stopPrice` a number, a
/// string or null; `leverage` a string or a number; `size` an integer or a string of one), so every one is read
/// leniently; the mapping says which missing field it cannot do without.
struct OrderWire: Decodable, Sendable, Equatable {
    var id: String?
    var clientOid: String?
    var symbol: String?
    /// "market" or "limit".
    var type: String?
    /// "buy" or "sell".
    var side: String?
    /// Null for a market order.
    var price: Double?
    var size: Double?
    var filledSize: Double?
    /// "up", "down", or empty for an order that is not a stop.
    var stop: String?
    var stopPrice: Double?
    /// "TP", "MP" or "IP".
    var stopPriceType: String?
    var stopTriggered: Bool?
    var reduceOnly: Bool?
    var closeOrder: Bool?
    var leverage: Double?
    var isActive: Bool?
    var cancelExist: Bool?
    /// "open" or "done".
    var status: String?
    var marginMode: String?
    var createdAt: Double?

    private enum CodingKeys: String, CodingKey {
        case id, clientOid, symbol, type, side, price, size, filledSize, dealSize, stop, stopPrice, stopPriceType
        case stopTriggered, reduceOnly, closeOrder, leverage, isActive, cancelExist, status, marginMode, createdAt
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.lenientString(forKey: .id)
        clientOid = try container.lenientString(forKey: .clientOid)
        symbol = try container.lenientString(forKey: .symbol)
        type = try container.lenientString(forKey: .type)
        side = try container.lenientString(forKey: .side)
        price = try container.lenientDouble(forKey: .price)
        size = try container.lenientDouble(forKey: .size)
        // `filledSize` and `dealSize` are the same number; older answers have only `dealSize`.
        filledSize = try container.lenientDouble(forKey: .filledSize) ?? container.lenientDouble(forKey: .dealSize)
        stop = try container.lenientString(forKey: .stop)
        stopPrice = try container.lenientDouble(forKey: .stopPrice)
        stopPriceType = try container.lenientString(forKey: .stopPriceType)
        stopTriggered = try container.lenientBool(forKey: .stopTriggered)
        reduceOnly = try container.lenientBool(forKey: .reduceOnly)
        closeOrder = try container.lenientBool(forKey: .closeOrder)
        leverage = try container.lenientDouble(forKey: .leverage)
        isActive = try container.lenientBool(forKey: .isActive)
        cancelExist = try container.lenientBool(forKey: .cancelExist)
        status = try container.lenientString(forKey: .status)
        marginMode = try container.lenientString(forKey: .marginMode)
        createdAt = try container.lenientDouble(forKey: .createdAt)
    }
}

/// A page of a list endpoint (`/api/v1/orders`, `/api/v1/stopOrders`): `items` one by one, so that one malformed
/// order does not hide the others.
struct PageWire<Item: Decodable & Sendable>: Decodable, Sendable {
    var currentPage: Int?
    var totalPage: Int?
    var items: [Lenient<Item>]

    private enum CodingKeys: String, CodingKey {
        case currentPage, totalPage, items
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentPage = try container.lenientDouble(forKey: .currentPage)?.wholeNumber
        totalPage = try container.lenientDouble(forKey: .totalPage)?.wholeNumber
        items = try container.decodeIfPresent([Lenient<Item>].self, forKey: .items) ?? []
    }
}

/// `POST /api/v1/orders`'s answer: KuCoin's id for the order (older answers leave out the client's id).
struct PlacedOrderWire: Decodable, Sendable {
    var orderId: String
}

/// `DELETE /api/v1/orders/client-order/{clientOid}`'s answer. Read for its shape only: the cancel is confirmed by the
/// stream or a lookup, since KuCoin's matching engine acts on it later.
struct CancelledWire: Decodable, Sendable {
    var clientOid: String?
}

/// `getMarginMode`'s and `changeMarginMode`'s answer, and `changeMarginMode`'s body.
struct MarginModeWire: Codable, Sendable {
    var symbol: String?
    var marginMode: String
}
