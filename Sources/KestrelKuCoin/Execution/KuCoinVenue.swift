public import KestrelCore
public import Logging

/// A KuCoin Futures account behind the venue protocol: Kestrel's orders placed, looked up and cancelled by their
/// client order ids, the account's positions, orders, wallet and fills read for reconciliation, and what the private
/// stream reports turned into the protocol's events.
///
/// - Every order carries the symbol's margin mode as KuCoin holds it (an order in another mode is refused with
///   330005): read once per symbol, and set to `MARGIN_MODE` before an entry while the symbol is flat.
/// - A protective stop is a reduce-only stop-market order that triggers on `STOP_PRICE_TYPE` (the mark price by
///   default); KuCoin cannot amend one, so a stop is replaced by placing the new one first, then cancelling the old.
/// - A placement is sent once. A failure that may have acted (a timeout, a 5xx, a dropped connection) is thrown as
///   such, and the caller looks the order up by its client order id; 300018 (client id already used) means the
///   order is there.
/// - KuCoin's fills name its own order ids: the venue maps them to client ids from what it placed and looked up,
///   and asks KuCoin about the rest (a bounded number per snapshot).
public actor KuCoinVenue: Venue {
    public struct Settings: Sendable {
        /// The margin mode entries are placed in (`MARGIN_MODE`).
        public var marginMode: MarginMode = .isolated
        /// The price protective stops trigger on (`STOP_PRICE_TYPE`).
        public var stopPriceType: KuCoinStopPriceType = .mark
        /// How many unknown order ids of fills one snapshot looks up (weight 5 each, in the account's pool).
        public var orderLookupsPerSnapshot = 40

        public init(marginMode: MarginMode = .isolated, stopPriceType: KuCoinStopPriceType = .mark) {
            self.marginMode = marginMode
            self.stopPriceType = stopPriceType
        }
    }

    public nonisolated let name = "kucoin"
    public nonisolated let events: AsyncStream<VenueEvent>
    let continuation: AsyncStream<VenueEvent>.Continuation
    public nonisolated let settings: Settings
    let api: KuCoinPrivateAPI
    let market: KuCoinMarketData
    let logger: Logger
    /// The contracts, by symbol: prices are rounded to their ticks, margins use their multipliers.
    private var instrumentsBySymbol: [String: Instrument]
    /// Each contract's fee rates, for the fills the stream reports without their fee.
    private var fees: [String: (maker: Double, taker: Double)]
    /// Each symbol's margin mode as KuCoin last said it.
    private var marginModes: [String: MarginMode] = [:]
    /// Symbols whose margin mode `prepare(toEnter:)` is reading.
    private var preparing = Set<String>()
    /// The orders this process sent, by client id: their purpose is not on the wire.
    private var sent = RecentMap<ClientOrderID, OrderRequest>(capacity: 4_096)
    /// KuCoin's order ids, to the client ids they stand for.
    var clientIDs = RecentMap<String, ClientOrderID>(capacity: 8_192)
    /// Stop-order pushes for KuCoin ids not known yet: the push of a new stop can arrive before the placement's
    /// answer that names its id. Played once the answer comes.
    var earlyStopPushes = RecentMap<String, [KuCoinStopOrderUpdate]>(capacity: 256)
    /// KuCoin order ids that are nobody's Kestrel knows (looked up, and not found or not Kestrel's).
    private var unresolvable = RecentMap<String, Bool>(capacity: 4_096)

    /// - Parameter fees: each contract's maker and taker rates, as listed (KuCoin's base tier when missing).
    public init(api: KuCoinPrivateAPI, market: KuCoinMarketData, instruments: [Instrument],
                fees: [String: (maker: Double, taker: Double)] = [:], settings: Settings = Settings(),
                logger: Logger = Logger(label: "kestrel.kucoin.venue")) {
        self.api = api
        self.fees = fees
        self.market = market
        self.settings = settings
        self.logger = logger
        instrumentsBySymbol = Dictionary(instruments.map { ($0.symbol, $0) }, uniquingKeysWith: { _, last in last })
        (events, continuation) = AsyncStream.makeStream(of: VenueEvent.self)
    }

    /// Takes the contracts listed now (listings and delistings while running).
    public func list(_ instruments: [Instrument], fees: [String: (maker: Double, taker: Double)] = [:]) {
        for instrument in instruments { instrumentsBySymbol[instrument.symbol] = instrument }
        self.fees.merge(fees) { _, new in new }
    }

    func multiplier(of symbol: String) -> Double? { instrumentsBySymbol[symbol]?.contractMultiplier }

    func feeRate(of symbol: String, maker: Bool) -> Double {
        let rates = fees[symbol] ?? (maker: 0.0002, taker: 0.0006)
        return maker ? rates.maker : rates.taker
    }

    // MARK: Orders

    public func place(_ order: OrderRequest) async throws(VenueError) -> VenueOrder {
        guard let instrument = instrumentsBySymbol[order.symbol] else { throw .rejected(.unknownSymbol(order.symbol)) }
        sent[order.id] = order
        let priority: RequestPriority = order.reduceOnly ? .protection : .entry
        for attempt in 1...2 {
            let mode = try await marginMode(of: order.symbol, opening: !order.reduceOnly, priority: priority)
            let body = OrderBody(order, instrument: instrument, marginMode: mode,
                                 stopPriceType: settings.stopPriceType)
            do {
                let orderID = try await api.place(body, priority: priority)
                clientIDs[orderID] = order.id
                if let early = earlyStopPushes[orderID] {
                    earlyStopPushes[orderID] = nil
                    for update in early { take(.stopOrder(update)) }
                }
                return VenueOrder(request: order, venueOrderID: orderID, status: .open, filledLots: 0)
            } catch let error as KuCoinError where error.code == KuCoinErrorCode.marginModeMismatch && attempt == 1 {
                // Changed by hand since it was read: read again, and sent once more (330005 acted on nothing).
                logger.warning("\(order.symbol)'s margin mode changed on KuCoin: read again",
                               metadata: ["order": "\(order.id)"])
                marginModes[order.symbol] = nil
            } catch {
                throw VenueError(error, order: order.id, symbol: order.symbol)
            }
        }
        throw .rejected(.refused("\(order.symbol): margin mode does not match (330005) after reading it again"))
    }

    public func replaceStop(_ old: ClientOrderID, with new: OrderRequest) async throws(VenueError) -> VenueOrder {
        try await placeThenCancel(old, with: new)
    }

    public func cancel(_ id: ClientOrderID, symbol: String) async throws(VenueError) {
        do {
            try await api.cancel(clientOid: id.rawValue, symbol: symbol, priority: .protection)
        } catch {
            throw VenueError(error, order: id, symbol: symbol)
        }
    }

    public func order(_ id: ClientOrderID, symbol: String) async throws(VenueError) -> VenueOrder? {
        let endpoint = KuCoinEndpoint.orderByClientOid.description
        do {
            guard let wire = try await api.order(clientOid: id.rawValue, priority: .protection) else { return nil }
            let order = try wire.venueOrder(sent: sent[id], endpoint: endpoint)
            clientIDs[order.venueOrderID] = id
            return order
        } catch {
            throw VenueError(error, order: id, symbol: symbol)
        }
    }

    /// Reads the margin mode of symbols Kestrel may soon enter, so that the entry goes out without a read before
    /// it (one round trip to KuCoin less on the order path). A symbol's mode is read once and kept; a mode changed
    /// by hand since is caught by the order's 330005. At the lowest priority: it never delays an order or a read
    /// of the account.
    public func prepare(toEnter symbols: [String]) async {
        for symbol in symbols where marginModes[symbol] == nil && instrumentsBySymbol[symbol] != nil {
            guard preparing.insert(symbol).inserted else { continue }
            _ = try? await marginMode(of: symbol, opening: false, priority: .reconciliation)
            preparing.remove(symbol)
        }
    }

    /// The mode an order on `symbol` is placed in: KuCoin's for the symbol, set first to `MARGIN_MODE` for an
    /// entry (`opening`) when they differ and KuCoin allows the change (not while the symbol has a position or
    /// orders: then the order goes in KuCoin's mode, which it would otherwise refuse).
    private func marginMode(of symbol: String, opening: Bool,
                            priority: RequestPriority) async throws(VenueError) -> MarginMode {
        let wanted = settings.marginMode
        if let known = marginModes[symbol], known == wanted || !opening { return known }
        let current: MarginMode
        do {
            let name = try await api.marginMode(of: symbol, priority: priority)
            guard let mode = MarginMode(kucoinName: name) else {
                throw KuCoinError.malformed(endpoint: KuCoinEndpoint.marginMode.description, status: 200,
                                            reason: "margin mode \"\(name)\" is neither ISOLATED nor CROSS")
            }
            current = mode
        } catch {
            throw VenueError(error, symbol: symbol)
        }
        marginModes[symbol] = current
        guard opening, current != wanted else { return current }
        do {
            let name = try await api.changeMarginMode(of: symbol, to: wanted.kucoinName, priority: priority)
            let changed = MarginMode(kucoinName: name) ?? wanted
            marginModes[symbol] = changed
            logger.notice("⚙️ \(symbol): margin mode set to \(changed.rawValue) (was \(current.rawValue))")
            return changed
        } catch let error as KuCoinError where !error.isTransient && !error.isAuthentication {
            logger.warning("⚙️ \(symbol) stays \(current.rawValue): KuCoin would not change it to \(wanted.rawValue) (a position or orders on it?)",
                           metadata: ["error": "\(error)"])
            return current
        } catch {
            throw VenueError(error, symbol: symbol)
        }
    }

    // MARK: What the account holds

    public func snapshot() async throws(VenueError) -> VenueSnapshot {
        let priority = RequestPriority.reconciliation
        let api = self.api
        do {
            async let overview = api.accountOverview(priority: priority)
            async let positionRows = api.positions(priority: priority)
            async let orderRows = api.activeOrders(priority: priority)
            async let stopRows = api.stopOrders(priority: priority)
            async let fillRows = api.recentFills(priority: priority)
            let wallet = try await overview.walletBalance
            var positions = [String: ExchangePosition]()
            for row in try await positionRows {
                switch row {
                case .success(let wire):
                    if let position = wire.exchangePosition(multiplier: wire.symbol.flatMap(multiplier(of:))) {
                        positions[position.symbol] = position
                    }
                case .failure(let problem):
                    // A position that cannot be read cannot be compared: the snapshot as a whole is not usable.
                    throw KuCoinError.malformed(endpoint: KuCoinEndpoint.positions.description, status: 200,
                                                reason: problem.reason)
                }
            }
            var openOrders = [VenueOrder]()
            for (endpoint, rows) in [(KuCoinEndpoint.orders, try await orderRows),
                                     (KuCoinEndpoint.stopOrders, try await stopRows)] {
                for row in rows {
                    let wire = try row.get()
                    let order = try wire.venueOrder(sent: wire.clientOid.flatMap { sent[ClientOrderID($0)] },
                                                    endpoint: endpoint.description)
                    clientIDs[order.venueOrderID] = order.id
                    openOrders.append(order)
                }
            }
            let fills = try await self.fills(from: fillRows)
            return VenueSnapshot(positions: positions, openOrders: openOrders, wallet: wallet, recentFills: fills)
        } catch {
            throw VenueError(error)
        }
    }

    /// The fills of `rows` under their client order ids, oldest first. An order id this venue has not seen is
    /// looked up (a few per snapshot: the rest next time); one that is nobody's Kestrel knows keeps KuCoin's id.
    private func fills(from rows: [Result<FillWire, DecodingFailure>]) async throws -> [Fill] {
        var lookups = 0
        var fills = [(nanoseconds: Double, fill: Fill)]()
        for row in rows {
            guard case .success(let wire) = row, let orderID = wire.orderId else {
                if case .failure(let problem) = row {
                    logger.warning("a fill KuCoin listed could not be read", metadata: ["reason": "\(problem.reason)"])
                }
                continue
            }
            var clientID = clientIDs[orderID]
            if clientID == nil, unresolvable[orderID] == nil, lookups < settings.orderLookupsPerSnapshot {
                lookups += 1
                if let order = try await api.order(id: orderID, priority: .reconciliation),
                   let clientOid = order.clientOid, !clientOid.isEmpty {
                    clientID = ClientOrderID(clientOid)
                    clientIDs[orderID] = clientID
                } else {
                    unresolvable[orderID] = true
                }
            }
            let id = clientID ?? ClientOrderID("kucoin-\(orderID)")
            if let fill = wire.fill(orderID: id) { fills.append((wire.tradeTime ?? 0, fill)) }
        }
        // KuCoin lists the newest first; the protocol wants the oldest first.
        return fills.sorted { $0.nanoseconds < $1.nanoseconds }.map(\.fill)
    }

    public func instruments() async throws(VenueError) -> [Instrument] {
        do {
            let listing = try await market.listing()
            list(listing.instruments, fees: listing.fees)
            return listing.instruments
        } catch {
            throw VenueError(error)
        }
    }

    /// Ends the event stream (the run is over).
    public func close() {
        continuation.finish()
    }
}
