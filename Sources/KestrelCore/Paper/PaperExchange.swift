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

/// A simulated perpetual-futures exchange: the default venue of `kestrel run` and the one backtests fill against.
///
/// Deterministic and synchronous: orders and price updates go in, fills and other events come out. It keeps a
/// wallet, one net position per symbol sized in whole lots through the contract multiplier, resting limit and
/// stop-market orders, taker and maker fees, slippage on market and stop fills, isolated or cross margin, funding
/// every interval (aligned to UTC) and liquidation at the maintenance margin.
///
/// Each symbol has a slot (its index in `books`), found once per call: a price update, the call a backtest makes
/// millions of times, then works on arrays instead of looking the symbol up in one dictionary after another.
public struct PaperExchange: Sendable {
    /// Everything the exchange holds for one symbol.
    struct Book: Sendable {
        var instrument: Instrument
        var price: Double?
        var position: ExchangePosition?
        /// How many of `restingOrders` are on this symbol.
        var restingCount = 0
        /// A price at or below this one reaches at least one resting order on the symbol (a sell stop or a buy
        /// limit), and so does one at or above `fillsAtOrAbove` (a buy stop or a sell limit): any price in between
        /// fills nothing, and the orders need not be looked at.
        var fillsAtOrBelow = -Double.infinity
        var fillsAtOrAbove = Double.infinity

        /// Widens the prices that reach an order to those that reach `order` too.
        mutating func includeInReach(_ order: OrderRequest) {
            switch order.kind {
            case .stopMarket(let price) where order.side == .sell, .limit(let price) where order.side == .buy:
                fillsAtOrBelow = max(fillsAtOrBelow, price)
            case .stopMarket(let price), .limit(let price):
                fillsAtOrAbove = min(fillsAtOrAbove, price)
            case .market:
                fillsAtOrBelow = .infinity
            }
        }
    }

    public let settings: PaperExchangeSettings
    /// Cash: deposits plus realised PnL, minus fees, plus funding.
    public internal(set) var wallet: Double
    /// Resting orders in the order they were placed.
    public internal(set) var restingOrders: [OrderRequest] = []
    public internal(set) var lastTime: Timestamp?
    /// The slot of each resting order, in step with `restingOrders`.
    var restingSlots: [Int] = []
    var books: [Book]
    var slots: SymbolSlots
    /// Slots in symbol order: funding and liquidations go through positions in this order, so runs are repeatable.
    private(set) var slotsBySymbol: [Int]
    /// Client ids of the most recent orders, to refuse a repeated id and to answer `hasSeen` after a restart.
    /// Bounded, so the exchange's saved state does not grow with every order ever placed.
    var usedIDs = RecentIDs<ClientOrderID>(capacity: 256)
    /// How many fills the exchange has made: the next one's trade id is this plus one.
    var tradeCount = 0
    /// The first funding time after `lastTime`, as last worked out: it moves once per funding interval, and every
    /// price asks for it.
    var nextFunding = Int64.max

    public init(instruments: [Instrument], settings: PaperExchangeSettings = PaperExchangeSettings()) {
        self.settings = settings
        var slots = SymbolSlots()
        var books = [Book]()
        for instrument in instruments where slots.slot(of: instrument.symbol) == nil {
            _ = slots.slot(adding: instrument.symbol)
            books.append(Book(instrument: instrument))
        }
        self.slots = slots
        self.books = books
        slotsBySymbol = books.indices.sorted { books[$0].instrument.symbol < books[$1].instrument.symbol }
        wallet = settings.startingBalance
    }

    /// Adds the instruments not yet traded here (a venue lists new contracts every week). One already here keeps
    /// its book; one missing from `instruments` (delisted) keeps its book too, so that what it holds is settled.
    public mutating func list(_ instruments: [Instrument]) {
        var added = false
        for instrument in instruments where slots.slot(of: instrument.symbol) == nil {
            _ = slots.slot(adding: instrument.symbol)
            books.append(Book(instrument: instrument))
            added = true
        }
        if added { slotsBySymbol = books.indices.sorted { books[$0].instrument.symbol < books[$1].instrument.symbol } }
    }

    // MARK: Account

    public var instruments: [String: Instrument] {
        Dictionary(uniqueKeysWithValues: books.map { ($0.instrument.symbol, $0.instrument) })
    }

    public var positions: [String: ExchangePosition] {
        Dictionary(uniqueKeysWithValues: books.compactMap { book in book.position.map { ($0.symbol, $0) } })
    }

    public var prices: [String: Double] {
        Dictionary(uniqueKeysWithValues: books.compactMap { book in book.price.map { (book.instrument.symbol, $0) } })
    }

    public func unrealizedPnL(_ symbol: String) -> Double {
        guard let slot = slots.slot(of: symbol) else { return 0 }
        return Self.unrealizedPnL(books[slot])
    }

    static func unrealizedPnL(_ book: Book) -> Double {
        guard let position = book.position, let price = book.price else { return 0 }
        return position.side.pnl(from: position.entryPrice, to: price,
                                 quantity: book.instrument.baseQuantity(lots: position.lots))
    }

    /// Wallet plus every position's unrealised PnL.
    public var equity: Double { books.reduce(wallet) { $0 + Self.unrealizedPnL($1) } }

    /// What a new order can use as margin: the wallet less the margin in use and any unrealised loss.
    public var availableMargin: Double {
        var available = wallet
        for book in books {
            guard let position = book.position else { continue }
            available -= position.margin - min(0, Self.unrealizedPnL(book))
        }
        return available
    }

    /// The price at which an isolated position would be liquidated.
    public func liquidationPrice(_ symbol: String) -> Double? {
        guard let slot = slots.slot(of: symbol), let position = books[slot].position else { return nil }
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

    /// What the exchange holds, as a venue reports it. No fills: the paper desk hears every fill as it happens.
    public var snapshot: VenueSnapshot {
        VenueSnapshot(positions: positions,
                      openOrders: restingOrders.map {
                          VenueOrder(request: $0, venueOrderID: $0.id.rawValue, status: .open, filledLots: 0)
                      },
                      wallet: wallet, recentFills: [])
    }

    /// Whether an order with this client id ever reached the exchange.
    public func hasSeen(_ id: ClientOrderID) -> Bool { usedIDs.contains(id) }

    // MARK: Orders

    /// Accepts or rejects an order. A market order (or a marketable limit) fills at once at the last price with
    /// slippage and taker fee; a limit or stop order rests until the price reaches it.
    public mutating func submit(_ order: OrderRequest, at time: Timestamp) -> Result<[ExchangeEvent], OrderRejection> {
        var events = [ExchangeEvent]()
        if let rejection = submit(order, at: time, into: &events) { return .failure(rejection) }
        return .success(events)
    }

    /// `submit(_:at:)`, appending what the order did at once (its fill) to `events`; returns the rejection, if any.
    public mutating func submit(_ order: OrderRequest, at time: Timestamp, into events: inout [ExchangeEvent])
        -> OrderRejection?
    {
        submit(order, at: time, into: &events, inPlaceOf: nil)
    }

    /// `submit(_:at:into:)`; an order that comes to rest takes the place of the resting order at `replaced` (on the
    /// same symbol), which is gone then.
    private mutating func submit(_ order: OrderRequest, at time: Timestamp, into events: inout [ExchangeEvent],
                                 inPlaceOf replaced: Int?) -> OrderRejection? {
        guard let slot = slots.slot(of: order.symbol) else { return .unknownSymbol(order.symbol) }
        let instrument = books[slot].instrument
        guard instrument.lotSize > 0, instrument.maxLeverage >= 1, instrument.contractMultiplier > 0,
              instrument.tickSize > 0 else { return .unknownSymbol(order.symbol) }
        guard order.lots >= instrument.lotSize else {
            return .belowMinimumLot(lots: order.lots, minimum: instrument.lotSize)
        }
        guard order.lots % instrument.lotSize == 0 else {
            return .notALotMultiple(lots: order.lots, lotSize: instrument.lotSize)
        }
        guard (1...instrument.maxLeverage).contains(order.leverage) else {
            return .leverageOutOfRange(requested: order.leverage, maximum: instrument.maxLeverage)
        }
        switch order.kind {
        case .limit(let price), .stopMarket(let price):
            guard price.isFinite, price > 0 else { return .badPrice(price) }
        case .market:
            break
        }
        if order.reduceOnly {
            guard let position = books[slot].position, position.side.exitSide == order.side else {
                return .reduceOnlyWithoutPosition(symbol: order.symbol)
            }
        }
        guard let price = books[slot].price else { return .noPrice(symbol: order.symbol) }

        let marketable: Bool
        switch order.kind {
        case .market: marketable = true
        case .limit(let limit): marketable = order.side == .buy ? price <= limit : price >= limit
        // A stop the price is already through would trigger at once: it is executed now, as the market order it
        // would become, rather than resting at a price the market has left.
        case .stopMarket(let trigger): marketable = order.side == .sell ? price <= trigger : price >= trigger
        }
        if !order.reduceOnly, case .failure(let rejection) = checkMargin(order, slot: slot, price: price) {
            return rejection
        }
        // An id is taken only by an order the exchange accepts; checking and taking it in one step hashes it once.
        guard usedIDs.insert(order.id) else { return .duplicateOrderID(order.id) }
        if !marketable {
            if let replaced, restingSlots[replaced] == slot {
                restingOrders[replaced] = order
                remakeReach(slot: slot)
            } else {
                addResting(order, slot: slot)
            }
            // The engine acts on one acknowledgement, its stop's: the paper exchange reports no other, as a backtest
            // makes thousands of resting targets and would hear each acknowledgement for nothing.
            if case .stopMarket = order.kind { events.append(.accepted(order.id, symbol: order.symbol)) }
            return nil
        }
        var fillPrice = slipped(price, side: order.side)
        if case .limit(let limit) = order.kind {
            fillPrice = order.side == .buy ? min(fillPrice, limit) : max(fillPrice, limit)
        }
        execute(order, slot: slot, price: fillPrice, time: time, isMaker: false, isLiquidation: false, into: &events)
        return nil
    }

    /// Replaces resting order `old` by `new` (a stop moved or resized): `new` is checked and placed as any order is,
    /// and `old` is removed only once `new` is accepted, so a refused replacement leaves `old` where it was.
    ///
    /// Only `new`'s acknowledgement is reported, not `old`'s removal: the engine takes the acknowledged replacement
    /// as the end of the stop it replaced, and a backtest moves stops tens of thousands of times (hearing each
    /// removal cost it 3% of its speed). Callers that keep books of orders (the paper desk's journal, the paper
    /// venue's stream) record `old` as cancelled themselves when this returns no rejection.
    public mutating func replace(_ old: ClientOrderID, with new: OrderRequest, at time: Timestamp,
                                 into events: inout [ExchangeEvent]) -> OrderRejection? {
        // In the old one's place, as an amendment would leave it: the orders of a symbol fill in the order they rest.
        let index = restingOrders.firstIndex { $0.id == old }
        if let rejection = submit(new, at: time, into: &events, inPlaceOf: index) { return rejection }
        let replacedInPlace = index.map { restingOrders.indices.contains($0) && restingOrders[$0].id == new.id } ?? false
        if !replacedInPlace, let index = restingOrders.firstIndex(where: { $0.id == old }) { removeResting(at: index) }
        return nil
    }

    public mutating func cancel(_ id: ClientOrderID) -> Result<Void, OrderRejection> {
        guard let index = restingOrders.firstIndex(where: { $0.id == id }) else { return .failure(.unknownOrder(id)) }
        removeResting(at: index)
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
        remakeReach(slot: restingSlots[index])
        return .success(())
    }

    mutating func addResting(_ order: OrderRequest, slot: Int) {
        restingOrders.append(order)
        restingSlots.append(slot)
        books[slot].restingCount += 1
        books[slot].includeInReach(order)
    }

    mutating func removeResting(at index: Int) {
        let slot = restingSlots[index]
        books[slot].restingCount -= 1
        restingOrders.remove(at: index)
        restingSlots.remove(at: index)
        remakeReach(slot: slot)
    }

    /// Works out again which prices reach an order on `slot`, from the orders resting there.
    mutating func remakeReach(slot: Int) {
        books[slot].fillsAtOrBelow = -.infinity
        books[slot].fillsAtOrAbove = .infinity
        guard books[slot].restingCount > 0 else { return }
        for index in restingOrders.indices where restingSlots[index] == slot {
            books[slot].includeInReach(restingOrders[index])
        }
    }

    /// The fill price of a market or stop order: the price, worse by the slippage. Not rounded to the tick: a
    /// market order sweeps several prices, and recorded candles often sit between ticks.
    func slipped(_ price: Double, side: OrderSide) -> Double {
        settings.slippage == 0 ? price : price * (1 + side.sign * settings.slippage)
    }

    func checkMargin(_ order: OrderRequest, slot: Int, price: Double) -> Result<Void, OrderRejection> {
        // Only the part of an order that opens or adds to a position needs margin.
        var opening = order.lots
        if let position = books[slot].position, position.side.exitSide == order.side {
            opening = max(0, order.lots - position.lots)
        }
        guard opening > 0 else { return .success(()) }
        let notional = books[slot].instrument.baseQuantity(lots: opening) * price
        let required = notional / Double(order.leverage) + notional * settings.takerFee
        let available = availableMargin
        return required <= available ? .success(()) : .failure(.insufficientMargin(required: required, available: available))
    }
}
