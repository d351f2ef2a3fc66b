/// The saved form names symbols, not slots: a restored exchange numbers its slots afresh.
extension PaperExchange: Codable {
    enum CodingKeys: String, CodingKey {
        case settings
        case instruments
        case wallet
        case positions
        case restingOrders
        case prices
        case lastTime
        case usedIDs
        case tradeCount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let instruments = try container.decode([String: Instrument].self, forKey: .instruments)
        self.init(instruments: instruments.values.sorted { $0.symbol < $1.symbol },
                  settings: try container.decode(PaperExchangeSettings.self, forKey: .settings))
        wallet = try container.decode(Double.self, forKey: .wallet)
        lastTime = try container.decodeIfPresent(Timestamp.self, forKey: .lastTime)
        usedIDs = try container.decode(RecentIDs<ClientOrderID>.self, forKey: .usedIDs)
        tradeCount = try container.decodeIfPresent(Int.self, forKey: .tradeCount) ?? 0
        for (symbol, price) in try container.decode([String: Double].self, forKey: .prices) {
            guard let slot = slots.slot(of: symbol) else { continue }
            books[slot].price = price
        }
        for (symbol, position) in try container.decode([String: ExchangePosition].self, forKey: .positions) {
            guard position.symbol == symbol else {
                throw DecodingError.dataCorruptedError(forKey: .positions, in: container,
                                                       debugDescription: "the position under \(symbol) is on \(position.symbol)")
            }
            guard let slot = slots.slot(of: symbol) else {
                throw DecodingError.dataCorruptedError(forKey: .positions, in: container,
                                                       debugDescription: "a position on unknown symbol \(symbol)")
            }
            books[slot].position = position
        }
        for order in try container.decode([OrderRequest].self, forKey: .restingOrders) {
            guard let slot = slots.slot(of: order.symbol) else {
                throw DecodingError.dataCorruptedError(forKey: .restingOrders, in: container,
                                                       debugDescription: "an order on unknown symbol \(order.symbol)")
            }
            addResting(order, slot: slot)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings, forKey: .settings)
        try container.encode(instruments, forKey: .instruments)
        try container.encode(wallet, forKey: .wallet)
        try container.encode(positions, forKey: .positions)
        try container.encode(restingOrders, forKey: .restingOrders)
        try container.encode(prices, forKey: .prices)
        try container.encodeIfPresent(lastTime, forKey: .lastTime)
        try container.encode(usedIDs, forKey: .usedIDs)
        try container.encode(tradeCount, forKey: .tradeCount)
    }
}
