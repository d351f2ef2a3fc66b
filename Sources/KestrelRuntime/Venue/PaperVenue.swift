import Foundation
public import KestrelCore
public import Logging

/// The paper exchange behind the venue protocol: what `kestrel run` trades on without an exchange account. It answers
/// as a venue does, asynchronously and through an event stream, and misbehaves on purpose when told to
/// (`PaperFaults`): late, in pieces, twice, out of order, with errors before or after acting, refused stops, a
/// stream that drops.
///
/// It keeps its own state in its own file, committed on its own, as an exchange would: a bot killed between the
/// venue's fill and its own journal entry finds that fill on restart, in the venue's recent fills.
public actor PaperVenue: Venue {
    public nonisolated let name = "paper"
    public nonisolated let events: AsyncStream<VenueEvent>
    private let continuation: AsyncStream<VenueEvent>.Continuation

    private var state: PaperVenueState
    private let faults: PaperFaults
    private let store: PaperVenueStore?
    private let now: @Sendable () -> Timestamp
    private let sleep: @Sendable (_ milliseconds: Int64) async throws -> Void
    private let logger: Logger
    /// Until when (engine time) the event stream is down, after a `drop` fault.
    private var streamDownUntil: Timestamp?

    /// How many fills `snapshot().recentFills` reports, and how many finished orders `order(_:symbol:)` still
    /// knows: enough for a restart to find what the journal missed, few enough that the state written at every
    /// change stays small (it is written whole).
    static let recentFillLimit = 256
    static let orderMemory = 512

    /// - Parameters:
    ///   - exchange: the exchange to start from when `store` has no saved state.
    ///   - now: engine time.
    ///   - sleep: waits that many milliseconds of engine time (the latency fault).
    public init(exchange: PaperExchange, faults: PaperFaults = PaperFaults(), store: PaperVenueStore? = nil,
                now: @escaping @Sendable () -> Timestamp,
                sleep: @escaping @Sendable (_ milliseconds: Int64) async throws -> Void = { _ in },
                logger: Logger) throws {
        (events, continuation) = AsyncStream.makeStream(of: VenueEvent.self)
        self.faults = faults
        self.store = store
        self.now = now
        self.sleep = sleep
        self.logger = logger
        state = try store?.load() ?? PaperVenueState(exchange: exchange, seed: faults.seed)
    }

    /// The exchange as it stands.
    public var exchange: PaperExchange { state.exchange }

    // MARK: Market

    /// A new trade price: resting orders it reaches fill, funding is paid, positions past their margin are
    /// liquidated; what happened is reported on the stream.
    public func price(_ symbol: String, _ price: Double, at time: Timestamp, continuous: Bool = true) {
        var happened = [ExchangeEvent]()
        guard let slot = state.exchange.slot(of: symbol) else { return }
        state.exchange.updatePrice(slot: slot, price, at: time, continuous: continuous, into: &happened)
        publish(happened, at: time)
    }

    // MARK: Orders

    public func place(_ order: OrderRequest) async throws(VenueError) -> VenueOrder {
        try await arrive(order)
        if case .stopMarket = order.kind, fire("reject-stop", faults.rejectStop) {
            throw .rejected(.refused("stop order refused (paper fault)"))
        }
        var happened = [ExchangeEvent]()
        if let rejection = state.exchange.submit(order, at: now(), into: &happened) {
            if case .duplicateOrderID = rejection, let known = state.orders[order.id] { return known }
            throw .rejected(rejection)
        }
        return try answer(order, happened)
    }

    public func replaceStop(_ old: ClientOrderID, with new: OrderRequest) async throws(VenueError) -> VenueOrder {
        try await arrive(new)
        if fire("reject-stop", faults.rejectStop) { throw .rejected(.refused("stop order refused (paper fault)")) }
        var happened = [ExchangeEvent]()
        if let rejection = state.exchange.replace(old, with: new, at: now(), into: &happened) {
            if case .duplicateOrderID = rejection, let known = state.orders[new.id] { return known }
            throw .rejected(rejection)
        }
        // The exchange reports only the new stop's acknowledgement; a venue's stream reports the old one's end too.
        happened.append(.orderCancelled(old, symbol: new.symbol))
        return try answer(new, happened)
    }

    public func cancel(_ id: ClientOrderID, symbol: String) async throws(VenueError) {
        try await arrive(nil)
        guard case .success = state.exchange.cancel(id) else { return }  // gone already: what a cancel wants
        publish([.orderCancelled(id, symbol: symbol)], at: now())
        try afterActing()
    }

    public func order(_ id: ClientOrderID, symbol: String) async throws(VenueError) -> VenueOrder? {
        try await arrive(nil)
        return state.orders[id]
    }

    public func snapshot() async throws(VenueError) -> VenueSnapshot {
        try await arrive(nil)
        var snapshot = state.exchange.snapshot
        snapshot.openOrders = snapshot.openOrders.map { state.orders[$0.id] ?? $0 }
        snapshot.recentFills = state.recentFills
        snapshot.recentFunding = state.recentFunding
        return snapshot
    }

    public func instruments() async throws(VenueError) -> [Instrument] {
        state.exchange.instruments.values.sorted { $0.symbol < $1.symbol }
    }

    /// Trades `instruments` from now on, besides the ones it knows (a live market's new listings).
    public func list(_ instruments: [Instrument]) {
        let before = state.exchange.instruments.count
        state.exchange.list(instruments)
        if state.exchange.instruments.count != before { persist() }
    }

    /// Writes the state to its file now.
    public func save() { persist() }

    /// Ends the event stream (the bot is stopping).
    public func close() {
        continuation.finish()
    }

    // MARK: Faults

    /// The request travels (latency), and may fail before the venue does anything.
    private func arrive(_ order: OrderRequest?) async throws(VenueError) {
        if faults.latencyMilliseconds > 0 {
            do { try await sleep(faults.latencyMilliseconds) } catch { throw .unavailable("cancelled") }
        }
        if fire("error-before", faults.errorBefore) { throw .unavailable("HTTP 503 before the request was handled") }
    }

    /// After the venue acted: the answer may be lost (timeout) or come back as a server error.
    private func afterActing() throws(VenueError) {
        if fire("timeout", faults.timeout) { throw .outcomeUnknown("no answer in time (the order was placed)") }
        if fire("error-after", faults.errorAfter) {
            throw .unavailable("HTTP 500 after the request was handled")
        }
    }

    /// Records and reports what an accepted order did, and answers with the order.
    private func answer(_ order: OrderRequest, _ happened: [ExchangeEvent]) throws(VenueError) -> VenueOrder {
        let filled = happened.contains { if case .fill(let fill) = $0 { fill.orderID == order.id } else { false } }
        var events: [ExchangeEvent] = [.accepted(order.id, symbol: order.symbol)]
        for event in happened {
            // A market order may fill in pieces.
            if case .fill(let fill) = event, fill.orderID == order.id, !fill.isLiquidation,
               fire("partial", faults.partial) {
                events += pieces(of: fill).map(ExchangeEvent.fill)
            } else if case .accepted = event {
                continue
            } else {
                events.append(event)
            }
        }
        state.orders[order.id] = VenueOrder(request: order, venueOrderID: "paper-\(order.id.rawValue)",
                                            status: filled ? .filled : .open, filledLots: 0)
        state.remember(order.id, limit: Self.orderMemory)
        publish(events, at: now())
        try afterActing()
        return state.orders[order.id] ?? VenueOrder(request: order, venueOrderID: "", status: .open, filledLots: 0)
    }

    /// `fill` as 2 to 4 pieces of whole lots (as many as its lots allow), their fees adding up to its fee exactly.
    private func pieces(of fill: Fill) -> [Fill] {
        let lotSize = state.exchange.instruments[fill.symbol]?.lotSize ?? 1
        let units = fill.lots / max(lotSize, 1)
        let count = min(Int.random(in: 2...4, using: &state.random), units)
        guard count >= 2 else { return [fill] }
        var pieces = [Fill]()
        var lotsLeft = fill.lots
        var feeLeft = fill.fee
        for index in 0..<count {
            var piece = fill
            piece.tradeID = TradeID("\(fill.tradeID.rawValue)-\(index + 1)")
            if index == count - 1 {
                piece.lots = lotsLeft
                piece.fee = feeLeft
            } else {
                piece.lots = units / count * lotSize
                piece.fee = fill.fee * Double(piece.lots) / Double(fill.lots)
            }
            lotsLeft -= piece.lots
            feeLeft -= piece.fee
            pieces.append(piece)
        }
        return pieces
    }

    private func fire(_ name: String, _ probability: Double) -> Bool {
        state.random.chance(probability)
    }

    // MARK: Reporting

    /// What happened goes into the venue's books and its file, and then down the stream (which, even with nothing
    /// new to say, may come back up now).
    private func publish(_ events: [ExchangeEvent], at time: Timestamp) {
        if !events.isEmpty {
            record(events)
            persist()
        }
        report(events, at: time)
    }

    /// Keeps what `events` did to orders and fills, as the venue's own books (what `order` and `snapshot` answer).
    private func record(_ events: [ExchangeEvent]) {
        for event in events {
            switch event {
            case .fill(let fill):
                state.recentFills.append(fill)
                if state.recentFills.count > Self.recentFillLimit {
                    state.recentFills.removeFirst(state.recentFills.count - Self.recentFillLimit)
                }
                if var order = state.orders[fill.orderID] {
                    order.filledLots += fill.lots
                    if order.filledLots >= order.request.lots { order.status = .filled }
                    state.orders[fill.orderID] = order
                }
            case .orderCancelled(let id, _):
                if state.orders[id]?.status == .open { state.orders[id]?.status = .cancelled }
            case .funding(let symbol, let amount, let time):
                state.recentFunding.append(FundingPayment(symbol: symbol, amount: amount, time: time))
                if state.recentFunding.count > Self.recentFillLimit {
                    state.recentFunding.removeFirst(state.recentFunding.count - Self.recentFillLimit)
                }
            case .accepted:
                break
            }
        }
    }

    /// Sends `events` down the stream, as faults allow: a fill twice, two events swapped, or nothing at all while
    /// the stream is down (it comes back after 30 s of engine time, saying so).
    private func report(_ events: [ExchangeEvent], at time: Timestamp) {
        if let until = streamDownUntil {
            guard time >= until else { return }
            streamDownUntil = nil
            continuation.yield(.connectionRestored)
        }
        guard !events.isEmpty else { return }
        if fire("drop", faults.drop) {
            streamDownUntil = time + 30
            continuation.yield(.connectionLost(reason: "paper fault: the stream dropped"))
            return
        }
        var out = events
        if out.count >= 2, fire("reorder", faults.reorder) {
            let index = Int.random(in: 0..<(out.count - 1), using: &state.random)
            out.swapAt(index, index + 1)
        }
        for event in out {
            continuation.yield(.exchange(event))
            if case .fill = event, fire("duplicate", faults.duplicate) { continuation.yield(.exchange(event)) }
        }
    }

    private func persist() {
        guard let store else { return }
        do {
            try store.save(state)
        } catch {
            logger.critical("💾 The paper venue could not save its state: \(error)")
        }
    }
}

/// Everything the paper venue keeps: the exchange, the orders it has seen with what became of them, its latest
/// fills, and where its fault generator stands.
public struct PaperVenueState: Sendable, Codable {
    public var exchange: PaperExchange
    var orders: [ClientOrderID: VenueOrder]
    /// The order ids in `orders`, oldest first, to forget the oldest.
    var orderIDs: [ClientOrderID]
    var recentFills: [Fill]
    var recentFunding: [FundingPayment]
    var random: SeededRandom

    init(exchange: PaperExchange, seed: UInt64) {
        self.exchange = exchange
        orders = [:]
        orderIDs = []
        recentFills = []
        recentFunding = []
        random = SeededRandom(seed: seed)
    }

    /// Whether nothing ever happened on it: no order, fill, funding, position or resting order.
    public var isUntouched: Bool {
        orders.isEmpty && recentFills.isEmpty && recentFunding.isEmpty && exchange.positions.isEmpty
            && exchange.restingOrders.isEmpty
    }

    mutating func remember(_ id: ClientOrderID, limit: Int) {
        orderIDs.append(id)
        if orderIDs.count > limit {
            for old in orderIDs.prefix(orderIDs.count - limit) { orders[old] = nil }
            orderIDs.removeFirst(orderIDs.count - limit)
        }
    }
}

extension VenueOrder: Codable {
    enum CodingKeys: String, CodingKey {
        case request, venueOrderID, status, filledLots
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(request: try c.decode(OrderRequest.self, forKey: .request),
                  venueOrderID: try c.decode(String.self, forKey: .venueOrderID),
                  status: try c.decode(Status.self, forKey: .status),
                  filledLots: try c.decode(Int.self, forKey: .filledLots))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(request, forKey: .request)
        try c.encode(venueOrderID, forKey: .venueOrderID)
        try c.encode(status, forKey: .status)
        try c.encode(filledLots, forKey: .filledLots)
    }
}

/// Where the paper venue keeps its state: a JSON file of its own, replaced whole at every change (written aside,
/// then renamed over the old one, so a crash leaves the old state or the new, never half of one).
public struct PaperVenueStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The saved state, or nil when there is none yet.
    public func load() throws -> PaperVenueState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(PaperVenueState.self, from: data)
        } catch {
            throw Failure(description: "the paper venue's state \(path) cannot be read: \(error)")
        }
    }

    public func save(_ state: PaperVenueState) throws {
        let data = try JSONEncoder().encode(state)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
