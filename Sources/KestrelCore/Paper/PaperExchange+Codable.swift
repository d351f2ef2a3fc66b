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
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let instruments = try container.decode([String: Instrument].self, forKey: .instruments)
        self.init(instruments: instruments.values.sorted { $0.symbol < $1.symbol },
                  settings: try container.decode(PaperExchangeSettings.self, forKey: .settings))
        wallet = try container.decode(Double.self, forKey: .wallet)
        lastTime = try container.decodeIfPresent(Timestamp.self, forKey: .lastTime)
        usedIDs = try container.decode(RecentIDs.self, forKey: .usedIDs)
        for (symbol, price) in try container.decode([String: Double].self, forKey: .prices) {
            guard let slot = slots[symbol] else { continue }
            books[slot].price = price
        }
        for (symbol, position) in try container.decode([String: ExchangePosition].self, forKey: .positions) {
            guard position.symbol == symbol else {
                throw DecodingError.dataCorruptedError(forKey: .positions, in: container,
                                                       debugDescription: "the position under \(symbol) is on \(position.symbol)")
            }
            guard let slot = slots[symbol] else {
                throw DecodingError.dataCorruptedError(forKey: .positions, in: container,
                                                       debugDescription: "a position on unknown symbol \(symbol)")
            }
            books[slot].position = position
        }
        for order in try container.decode([OrderRequest].self, forKey: .restingOrders) {
            guard let slot = slots[order.symbol] else {
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
    }
}

/// The most recent ids: at least the last `capacity`, at most twice as many.
///
/// Held as two generations: the ids since the last turnover (`current`) and the generation before (`previous`).
/// When `current` is full it becomes `previous` and the set is rebuilt from it, so the older generation is dropped
/// in one go. Removing the oldest id at every insert instead would cost a removal from a hashed set for every order
/// the exchange takes, which moves the entries around it; a turnover costs one insert per id, once.
struct RecentIDs: Sendable, Codable {
    private var previous: [ClientOrderID] = []
    private var current: [ClientOrderID] = []
    /// The ids of both generations.
    private var members: Set<ClientOrderID> = []
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func contains(_ id: ClientOrderID) -> Bool { members.contains(id) }

    /// Remembers `id`; false when it is remembered already.
    @discardableResult
    mutating func insert(_ id: ClientOrderID) -> Bool {
        guard members.insert(id).inserted else { return false }
        current.append(id)
        guard current.count >= capacity else { return true }
        swap(&previous, &current)
        current.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
        for id in previous { members.insert(id) }
        return true
    }

    enum CodingKeys: String, CodingKey {
        case order
        case capacity
    }

    /// Oldest first; a saved set comes back as one full generation of its newest ids.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        capacity = max(1, try container.decode(Int.self, forKey: .capacity))
        let order = try container.decode([ClientOrderID].self, forKey: .order)
        previous = Array(order.suffix(capacity))
        members = Set(previous)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(previous + current, forKey: .order)
    }
}
