/// How margin is shared between positions.
public enum MarginMode: String, Sendable, Codable, CaseIterable {
    /// Each position has its own margin and can lose at most that.
    case isolated
    /// All positions share the wallet; a liquidation closes them all.
    case cross
}

public struct PaperExchangeSettings: Sendable, Equatable, Codable {
    public var startingBalance: Double
    public var takerFee: Double
    public var makerFee: Double
    /// Price impact of a market or stop order, as a fraction (0.0005 = 5 bps).
    public var slippage: Double
    /// Funding paid by longs to shorts (negative: shorts pay) each interval, as a fraction of notional.
    public var fundingRate: Double
    public var fundingIntervalSeconds: Int64
    public var maintenanceMarginRate: Double
    public var marginMode: MarginMode

    public init(startingBalance: Double = 10_000, takerFee: Double = 0.0006, makerFee: Double = 0.0002,
                slippage: Double = 0.0005, fundingRate: Double = 0.0001, fundingIntervalSeconds: Int64 = 8 * 3600,
                maintenanceMarginRate: Double = 0.005, marginMode: MarginMode = .isolated) {
        self.startingBalance = startingBalance
        self.takerFee = takerFee
        self.makerFee = makerFee
        self.slippage = slippage
        self.fundingRate = fundingRate
        self.fundingIntervalSeconds = fundingIntervalSeconds
        self.maintenanceMarginRate = maintenanceMarginRate
        self.marginMode = marginMode
    }
}

/// A position as the exchange holds it (one net position per symbol).
public struct ExchangePosition: Sendable, Hashable, Codable {
    public var symbol: String
    public var side: PositionSide
    public var lots: Int
    public var entryPrice: Double
    public var leverage: Int
    /// Margin set aside for the position (entry notional / leverage).
    public var margin: Double
}

/// What happened on the exchange, reported back to the engine.
public enum ExchangeEvent: Sendable, Hashable {
    case fill(Fill)
    /// Funding credited to the wallet (negative: paid).
    case funding(symbol: String, amount: Double, time: Timestamp)
    /// A resting order the exchange removed by itself (a reduce-only order whose position is gone).
    case orderCancelled(ClientOrderID, symbol: String)
}

/// A simulated perpetual-futures exchange: the default venue of `kestrel run` and the one backtests fill against.
///
/// Deterministic and synchronous: orders and price updates go in, fills and other events come out. It keeps a
/// wallet, one net position per symbol sized in whole lots through the contract multiplier, resting limit and
/// stop-market orders, taker and maker fees, slippage on market and stop fills, isolated or cross margin, funding
/// every interval (aligned to UTC) and liquidation at the maintenance margin.
public struct PaperExchange: Sendable, Codable {
    public let settings: PaperExchangeSettings
    public private(set) var instruments: [String: Instrument]
    /// Cash: deposits plus realised PnL, minus fees, plus funding.
    public private(set) var wallet: Double
    public private(set) var positions: [String: ExchangePosition] = [:]
    /// Resting orders in the order they were placed.
    public private(set) var restingOrders: [OrderRequest] = []
    public private(set) var prices: [String: Double] = [:]
    public private(set) var lastTime: Timestamp?
    /// Client ids of the most recent orders, to refuse a repeated id and to answer `hasSeen` after a restart.
    /// Bounded, so the exchange's saved state does not grow with every order ever placed.
    private var usedIDs = RecentIDs(capacity: 256)

    public init(instruments: [Instrument], settings: PaperExchangeSettings = PaperExchangeSettings()) {
        self.settings = settings
        self.instruments = Dictionary(instruments.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        wallet = settings.startingBalance
    }

    // MARK: Account

    public func unrealizedPnL(_ symbol: String) -> Double {
        guard let position = positions[symbol], let price = prices[symbol], let instrument = instruments[symbol]
        else { return 0 }
        return position.side.sign * (price - position.entryPrice) * instrument.baseQuantity(lots: position.lots)
    }

    /// Wallet plus every position's unrealised PnL.
    public var equity: Double { wallet + positions.keys.reduce(0) { $0 + unrealizedPnL($1) } }

    /// What a new order can use as margin: the wallet less the margin in use and any unrealised loss.
    public var availableMargin: Double {
        var available = wallet
        for (symbol, position) in positions { available -= position.margin - min(0, unrealizedPnL(symbol)) }
        return available
    }

    /// The price at which an isolated position would be liquidated.
    public func liquidationPrice(_ symbol: String) -> Double? {
        guard let position = positions[symbol] else { return nil }
        return Self.liquidationPrice(side: position.side, entry: position.entryPrice, leverage: position.leverage,
                                     maintenanceRate: settings.maintenanceMarginRate)
    }

    /// Where margin plus PnL falls to the maintenance margin, for a position of `leverage` opened at `entry`.
    public static func liquidationPrice(side: PositionSide, entry: Double, leverage: Int, maintenanceRate: Double)
        -> Double
    {
        let inverse = 1 / Double(leverage)
        return side == .long ? entry * (1 - inverse) / (1 - maintenanceRate)
            : entry * (1 + inverse) / (1 + maintenanceRate)
    }

    /// Whether an order with this client id ever reached the exchange.
    public func hasSeen(_ id: ClientOrderID) -> Bool { usedIDs.contains(id) }

    // MARK: Orders

    /// Accepts or rejects an order. A market order (or a marketable limit) fills at once at the last price with
    /// slippage and taker fee; a limit or stop order rests until the price reaches it.
    public mutating func submit(_ order: OrderRequest, at time: Timestamp) -> Result<[ExchangeEvent], OrderRejection> {
        guard let instrument = instruments[order.symbol] else { return .failure(.unknownSymbol(order.symbol)) }
        guard instrument.lotSize > 0, instrument.maxLeverage >= 1, instrument.contractMultiplier > 0,
              instrument.tickSize > 0 else { return .failure(.unknownSymbol(order.symbol)) }
        guard !usedIDs.contains(order.id) else { return .failure(.duplicateOrderID(order.id)) }
        guard order.lots >= instrument.lotSize else {
            return .failure(.belowMinimumLot(lots: order.lots, minimum: instrument.lotSize))
        }
        guard order.lots % instrument.lotSize == 0 else {
            return .failure(.notALotMultiple(lots: order.lots, lotSize: instrument.lotSize))
        }
        guard (1...instrument.maxLeverage).contains(order.leverage) else {
            return .failure(.leverageOutOfRange(requested: order.leverage, maximum: instrument.maxLeverage))
        }
        switch order.kind {
        case .limit(let price), .stopMarket(let price):
            guard price.isFinite, price > 0 else { return .failure(.badPrice(price)) }
        case .market:
            break
        }
        if order.reduceOnly {
            guard let position = positions[order.symbol], position.side.exitSide == order.side else {
                return .failure(.reduceOnlyWithoutPosition(symbol: order.symbol))
            }
        }
        guard let price = prices[order.symbol] else { return .failure(.noPrice(symbol: order.symbol)) }

        let marketable: Bool
        switch order.kind {
        case .market: marketable = true
        case .limit(let limit): marketable = order.side == .buy ? price <= limit : price >= limit
        // A stop the price is already through would trigger at once: it is executed now, as the market order it
        // would become, rather than resting at a price the market has left.
        case .stopMarket(let trigger): marketable = order.side == .sell ? price <= trigger : price >= trigger
        }
        if !marketable {
            if !order.reduceOnly, case .failure(let rejection) = checkMargin(order, instrument: instrument, price: price) {
                return .failure(rejection)
            }
            usedIDs.insert(order.id)
            restingOrders.append(order)
            return .success([])
        }
        if !order.reduceOnly, case .failure(let rejection) = checkMargin(order, instrument: instrument, price: price) {
            return .failure(rejection)
        }
        usedIDs.insert(order.id)
        var fillPrice = slipped(price, side: order.side, instrument: instrument)
        if case .limit(let limit) = order.kind {
            fillPrice = order.side == .buy ? min(fillPrice, limit) : max(fillPrice, limit)
        }
        return .success(execute(order, price: fillPrice, time: time, isMaker: false, isLiquidation: false))
    }

    public mutating func cancel(_ id: ClientOrderID) -> Result<Void, OrderRejection> {
        guard let index = restingOrders.firstIndex(where: { $0.id == id }) else { return .failure(.unknownOrder(id)) }
        restingOrders.remove(at: index)
        return .success(())
    }

    /// Moves a resting stop's trigger (or a limit's price).
    public mutating func amend(_ id: ClientOrderID, price: Double) -> Result<Void, OrderRejection> {
        guard let index = restingOrders.firstIndex(where: { $0.id == id }) else { return .failure(.unknownOrder(id)) }
        guard price.isFinite, price > 0 else { return .failure(.badPrice(price)) }
        switch restingOrders[index].kind {
        case .stopMarket: restingOrders[index].kind = .stopMarket(trigger: price)
        case .limit: restingOrders[index].kind = .limit(price: price)
        case .market: break
        }
        return .success(())
    }

    // MARK: Prices

    /// A new trade price for `symbol` at `time`: pays funding due by then, fills resting orders the price reached,
    /// and liquidates positions whose margin is gone. `continuous` says the price moved here through every price in
    /// between (a path inside a candle), so a stop fills at its trigger; otherwise (a gap) it fills at this price.
    public mutating func updatePrice(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true)
        -> [ExchangeEvent]
    {
        guard price.isFinite, price > 0, let instrument = instruments[symbol] else { return [] }
        // Funding due by now is charged on the newest price known (this one for this symbol), not a stale one.
        prices[symbol] = price
        var events = payFunding(until: time)
        lastTime = max(lastTime ?? time, time)
        if restingOrders.contains(where: { $0.symbol == symbol }) {
            events += triggerOrders(symbol, instrument: instrument, price: price, time: time, continuous: continuous)
        }
        switch settings.marginMode {
        // An isolated position's margin only moves with its own price: no other position can have reached its
        // liquidation price on this update.
        case .isolated:
            if let position = positions[symbol],
               position.margin + unrealized(position, price: price, instrument: instrument)
                <= maintenance(position, price: price, instrument: instrument) {
                events += liquidate([symbol], at: time)
            }
        case .cross:
            if !positions.isEmpty, crossMarginExhausted { events += liquidate(Array(positions.keys), at: time) }
        }
        return events
    }

    // MARK: Internals

    /// The fill price of a market or stop order: the price, worse by the slippage. Not rounded to the tick: a
    /// market order sweeps several prices, and recorded candles often sit between ticks.
    private func slipped(_ price: Double, side: OrderSide, instrument: Instrument) -> Double {
        settings.slippage == 0 ? price : price * (1 + side.sign * settings.slippage)
    }

    private func checkMargin(_ order: OrderRequest, instrument: Instrument, price: Double) -> Result<Void, OrderRejection> {
        // Only the part of an order that opens or adds to a position needs margin.
        var opening = order.lots
        if let position = positions[order.symbol], position.side.exitSide == order.side {
            opening = max(0, order.lots - position.lots)
        }
        guard opening > 0 else { return .success(()) }
        let notional = instrument.baseQuantity(lots: opening) * price
        let required = notional / Double(order.leverage) + notional * settings.takerFee
        let available = availableMargin
        return required <= available ? .success(()) : .failure(.insufficientMargin(required: required, available: available))
    }

    /// Applies an execution to the wallet and the position, and removes reduce-only orders left without a position.
    private mutating func execute(_ order: OrderRequest, price: Double, time: Timestamp, isMaker: Bool,
                                  isLiquidation: Bool) -> [ExchangeEvent] {
        guard let instrument = instruments[order.symbol] else { return [] }
        var lots = order.lots
        if order.reduceOnly { lots = min(lots, positions[order.symbol]?.lots ?? 0) }
        guard lots > 0 else { return [] }
        let quantity = instrument.baseQuantity(lots: lots)
        let fee = quantity * price * (isMaker ? settings.makerFee : settings.takerFee)
        wallet -= fee
        var remaining = lots
        if var position = positions[order.symbol], position.side.exitSide == order.side {
            let closing = min(remaining, position.lots)
            let pnl = position.side.sign * (price - position.entryPrice) * instrument.baseQuantity(lots: closing)
            wallet += pnl
            position.margin *= Double(position.lots - closing) / Double(position.lots)
            position.lots -= closing
            remaining -= closing
            positions[order.symbol] = position.lots > 0 ? position : nil
        }
        if remaining > 0 {
            let side: PositionSide = order.side == .buy ? .long : .short
            let addedMargin = instrument.baseQuantity(lots: remaining) * price / Double(order.leverage)
            if var position = positions[order.symbol] {
                let total = position.lots + remaining
                position.entryPrice = (position.entryPrice * Double(position.lots) + price * Double(remaining))
                    / Double(total)
                position.lots = total
                position.margin += addedMargin
                positions[order.symbol] = position
            } else {
                positions[order.symbol] = ExchangePosition(symbol: order.symbol, side: side, lots: remaining,
                                                           entryPrice: price, leverage: order.leverage,
                                                           margin: addedMargin)
            }
        }
        var events: [ExchangeEvent] = [.fill(Fill(orderID: order.id, symbol: order.symbol, side: order.side, lots: lots,
                                                  price: price, fee: fee, time: time, isMaker: isMaker,
                                                  isLiquidation: isLiquidation))]
        events += dropOrphanedReduceOnly(order.symbol)
        return events
    }

    private mutating func dropOrphanedReduceOnly(_ symbol: String) -> [ExchangeEvent] {
        let position = positions[symbol]
        var events = [ExchangeEvent]()
        restingOrders.removeAll { order in
            guard order.symbol == symbol, order.reduceOnly, position == nil || position?.side.exitSide != order.side
            else { return false }
            events.append(.orderCancelled(order.id, symbol: symbol))
            return true
        }
        return events
    }

    private mutating func triggerOrders(_ symbol: String, instrument: Instrument, price: Double, time: Timestamp,
                                        continuous: Bool) -> [ExchangeEvent]
    {
        var events = [ExchangeEvent]()
        var index = 0
        while index < restingOrders.count {
            let order = restingOrders[index]
            guard order.symbol == symbol else {
                index += 1
                continue
            }
            var fillPrice: Double?
            var isMaker = false
            switch order.kind {
            case .stopMarket(let trigger):
                let reached = order.side == .sell ? price <= trigger : price >= trigger
                if reached { fillPrice = slipped(continuous ? trigger : price, side: order.side, instrument: instrument) }
            case .limit(let limit):
                let reached = order.side == .buy ? price <= limit : price >= limit
                if reached {
                    fillPrice = continuous ? limit : (order.side == .buy ? min(price, limit) : max(price, limit))
                    isMaker = true
                }
            case .market:
                fillPrice = price
            }
            guard let fillPrice else {
                index += 1
                continue
            }
            restingOrders.remove(at: index)
            if !order.reduceOnly, case .failure = checkMargin(order, instrument: instrument, price: fillPrice) {
                events.append(.orderCancelled(order.id, symbol: symbol))
                continue
            }
            events += execute(order, price: fillPrice, time: time, isMaker: isMaker, isLiquidation: false)
            index = 0  // an execution may have removed other orders; start over
        }
        return events
    }

    private mutating func payFunding(until time: Timestamp) -> [ExchangeEvent] {
        let interval = settings.fundingIntervalSeconds
        guard interval > 0, let last = lastTime, settings.fundingRate != 0 else { return [] }
        var events = [ExchangeEvent]()
        var boundary = (last.seconds / interval + 1) * interval
        while boundary <= time.seconds {
            for symbol in positions.keys.sorted() {
                guard let position = positions[symbol], let instrument = instruments[symbol],
                      let price = prices[symbol] else { continue }
                let notional = instrument.baseQuantity(lots: position.lots) * price
                let amount = -position.side.sign * notional * settings.fundingRate
                wallet += amount
                events.append(.funding(symbol: symbol, amount: amount, time: Timestamp(seconds: boundary)))
            }
            boundary += interval
        }
        return events
    }

    private func unrealized(_ position: ExchangePosition, price: Double, instrument: Instrument) -> Double {
        position.side.sign * (price - position.entryPrice) * instrument.baseQuantity(lots: position.lots)
    }

    private func maintenance(_ position: ExchangePosition, price: Double, instrument: Instrument) -> Double {
        instrument.baseQuantity(lots: position.lots) * price * settings.maintenanceMarginRate
    }

    /// Whether the wallet plus every position's unrealised PnL is down to the maintenance margin of them all.
    private var crossMarginExhausted: Bool {
        var maintenanceTotal = 0.0
        var unrealizedTotal = 0.0
        for (symbol, position) in positions {
            guard let price = prices[symbol], let instrument = instruments[symbol] else { continue }
            maintenanceTotal += maintenance(position, price: price, instrument: instrument)
            unrealizedTotal += unrealized(position, price: price, instrument: instrument)
        }
        return wallet + unrealizedTotal <= maintenanceTotal
    }

    /// Closes the positions on `doomed` at the market (or, isolated, at their bankruptcy price).
    private mutating func liquidate(_ doomed: [String], at time: Timestamp) -> [ExchangeEvent] {
        var events = [ExchangeEvent]()
        for symbol in doomed.sorted() {
            guard let position = positions[symbol], let price = prices[symbol] else { continue }
            let order = OrderRequest(id: ClientOrderID("liquidation-\(symbol)-\(time.seconds)"), symbol: symbol,
                                     side: position.side.exitSide, lots: position.lots, kind: .market,
                                     reduceOnly: true, leverage: position.leverage, purpose: .exit(.liquidation))
            var fillPrice = price
            if settings.marginMode == .isolated, let instrument = instruments[symbol] {
                // An isolated position can lose its margin and no more: it is closed at its bankruptcy price (where
                // the loss equals the margin) when the market is past it, and the insurance fund takes the rest.
                // The fill says so, so whoever books it books the same loss as the wallet.
                let bankruptcy = position.entryPrice
                    - position.side.sign * position.margin / instrument.baseQuantity(lots: position.lots)
                fillPrice = position.side == .long ? max(price, bankruptcy) : min(price, bankruptcy)
            }
            events += execute(order, price: fillPrice, time: time, isMaker: false, isLiquidation: true)
        }
        return events
    }
}

/// A set of the last `capacity` ids, oldest forgotten first.
struct RecentIDs: Sendable, Codable {
    /// Ids in arrival order, as a ring once full: `next` is where the next id goes (and the oldest is).
    private var ring: [ClientOrderID] = []
    private var next = 0
    private var members: Set<ClientOrderID> = []
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func contains(_ id: ClientOrderID) -> Bool { members.contains(id) }

    mutating func insert(_ id: ClientOrderID) {
        guard members.insert(id).inserted else { return }
        if ring.count < capacity {
            ring.append(id)
        } else {
            members.remove(ring[next])
            ring[next] = id
            next = (next + 1) % capacity
        }
    }

    /// Oldest first.
    private var ordered: [ClientOrderID] { Array(ring[next...] + ring[..<next]) }

    enum CodingKeys: String, CodingKey {
        case order
        case capacity
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        capacity = max(1, try container.decode(Int.self, forKey: .capacity))
        let order = try container.decode([ClientOrderID].self, forKey: .order)
        ring = Array(order.suffix(capacity))
        members = Set(ring)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(ordered, forKey: .order)
    }
}
