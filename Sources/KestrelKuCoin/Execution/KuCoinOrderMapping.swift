import KestrelCore

/// Which price a KuCoin stop order watches (`stopPriceType`): `STOP_PRICE_TYPE`.
public enum KuCoinStopPriceType: String, Sendable, CaseIterable {
    /// The last trade: a single odd trade can trigger it.
    case last = "TP"
    /// The mark price (KuCoin's fair price): what liquidations follow, and the default, since a wick on one venue's
    /// last trade does not move it.
    case mark = "MP"
    case index = "IP"

    /// The setting's value ("last", "mark", "index"), or nil.
    public init?(setting: String) {
        switch setting.lowercased() {
        case "last", "tp": self = .last
        case "mark", "mp": self = .mark
        case "index", "ip": self = .index
        default: return nil
        }
    }
}

/// `POST /api/v1/orders`'s body for one of Kestrel's orders: docs/kucoin-private.md §1.
struct OrderBody: Encodable, Sendable {
    var clientOid: String
    var side: String
    var symbol: String
    var type: String
    var size: Int
    var leverage: Int
    var marginMode: String
    var reduceOnly: Bool
    var price: String?
    var timeInForce: String?
    var stop: String?
    var stopPrice: String?
    var stopPriceType: String?

    /// The body for `order` on `instrument`: prices rounded to the tick and written as decimals; a stop as a
    /// market order that triggers on `stopPriceType`, `down` for a sell (it protects a long, so the price falls to
    /// it) and `up` for a buy.
    init(_ order: OrderRequest, instrument: Instrument, marginMode: MarginMode, stopPriceType: KuCoinStopPriceType) {
        clientOid = order.id.rawValue
        side = order.side.rawValue
        symbol = order.symbol
        size = order.lots
        leverage = max(1, order.leverage)
        self.marginMode = marginMode.kucoinName
        reduceOnly = order.reduceOnly
        switch order.kind {
        case .market:
            type = "market"
        case .limit(let price):
            type = "limit"
            self.price = instrument.priceText(price)
            timeInForce = "GTC"
        case .stopMarket(let trigger):
            type = "market"
            stop = order.side == .sell ? "down" : "up"
            stopPrice = instrument.priceText(trigger)
            self.stopPriceType = stopPriceType.rawValue
        }
    }
}

extension MarginMode {
    /// KuCoin's name for it.
    var kucoinName: String { self == .cross ? "CROSS" : "ISOLATED" }

    init?(kucoinName: String) {
        switch kucoinName.uppercased() {
        case "CROSS": self = .cross
        case "ISOLATED": self = .isolated
        default: return nil
        }
    }
}

extension OrderWire {
    /// The order as the venue protocol describes it. `sent` is the request as Kestrel sent it, when this process
    /// sent it: its purpose is not on the wire. Without it, the purpose is read from the order's shape.
    func venueOrder(sent: OrderRequest?, endpoint: String) throws -> VenueOrder {
        func missing(_ field: String) -> KuCoinError {
            KuCoinError.malformed(endpoint: endpoint, status: 200, reason: "an order without \(field)")
        }
        guard let id, !id.isEmpty else { throw missing("id") }
        guard let symbol, !symbol.isEmpty else { throw missing("symbol") }
        guard let side = side.flatMap(OrderSide.init(rawValue:)) else { throw missing("a side of buy or sell") }
        guard let lots = size?.wholeNumber, lots >= 0 else { throw missing("a size in whole lots") }
        guard let filled = filledSize.map(\.wholeNumber) ?? 0 else { throw missing("a filled size in whole lots") }
        let clientID = clientOid.flatMap { $0.isEmpty ? nil : ClientOrderID($0) }
            ?? ClientOrderID("kucoin-\(id)")
        let kind: OrderKind
        if let stop, !stop.isEmpty, let stopPrice {
            kind = .stopMarket(trigger: stopPrice)
        } else if type == "limit", let price {
            kind = .limit(price: price)
        } else {
            kind = .market
        }
        let reduceOnly = (reduceOnly ?? false) || (closeOrder ?? false)
        let purpose: OrderPurpose = sent?.purpose ?? {
            switch kind {
            case .stopMarket: .stopLoss
            case .limit: reduceOnly ? .exit(.takeProfit) : .entry
            case .market: reduceOnly ? .exit(.stopLoss) : .entry
            }
        }()
        let request = OrderRequest(id: clientID, symbol: symbol, side: side, lots: lots, kind: kind,
                                   reduceOnly: reduceOnly, leverage: leverage?.wholeNumber ?? 1, purpose: purpose)
        let state: VenueOrder.Status
        if isActive == true || status == "open" {
            state = .open
        } else if cancelExist == true {
            state = .cancelled
        } else {
            state = .filled
        }
        return VenueOrder(request: request, venueOrderID: id, status: state, filledLots: filled)
    }
}

extension PositionWire {
    /// The position as the venue protocol describes it, or nil when it is flat (KuCoin lists closed positions too).
    /// `multiplier` is the contract's lot in coins, for the margin when KuCoin leaves it out.
    /// Read as a stream frame is: one reading of a position for both.
    func exchangePosition(multiplier: Double?) -> ExchangePosition? {
        guard isOpen != false, let position = update(topicSymbol: nil)?.exchangePosition(multiplier: multiplier)
        else { return nil }
        return position
    }
}

extension FillWire {
    /// The fill as the venue protocol describes it, under the client order id `orderID`; nil for a row that is not
    /// an execution (a settlement, a cancel) or lacks what a fill needs.
    func fill(orderID: ClientOrderID) -> Fill? {
        let forced = tradeType == "liquid" || tradeType == "adl"
        guard tradeType == nil || tradeType == "trade" || forced,
              let tradeId, !tradeId.isEmpty, let symbol, let side = side.flatMap(OrderSide.init(rawValue:)),
              let price, price > 0, let lots = size?.wholeNumber, lots >= 1 else { return nil }
        let seconds = (tradeTime.map { $0 / 1e9 } ?? createdAt.map { $0 / 1e3 } ?? 0).rounded(.down)
        return Fill(orderID: orderID, tradeID: TradeID(tradeId), symbol: symbol, side: side, lots: lots,
                    price: price, fee: fee ?? 0, time: Timestamp(seconds: Int64(seconds.wholeNumber ?? 0)),
                    isMaker: liquidity == "maker", isLiquidation: forced)
    }
}

extension VenueError {
    /// What a failed KuCoin request means to the venue protocol. `order` is the order it was about, if any.
    init(_ error: any Error, order: ClientOrderID? = nil, symbol: String? = nil) {
        guard let error = error as? KuCoinError else {
            self = error is CancellationError ? .outcomeUnknown("cancelled while waiting for KuCoin")
                : .outcomeUnknown("\(error)")
            return
        }
        switch error {
        case .rateLimited(_, let retryAfter):
            self = .rateLimited(retryAfterSeconds: Double(retryAfter.wholeMilliseconds) / 1_000)
        case .unavailable:
            self = .unavailable(error.description)
        case .timedOut, .transport, .malformed:
            // The request left and no readable answer came back: it may have been acted on.
            self = .outcomeUnknown(error.description)
        case .api(_, _, let code, _):
            switch code {
            case KuCoinErrorCode.timestampOutOfRange:
                self = .clockSkew(error.description)
            case _ where KuCoinErrorCode.authentication.contains(code):
                self = .authentication(error.description)
            case KuCoinErrorCode.duplicateClientOrderID:
                self = order.map { .rejected(.duplicateOrderID($0)) } ?? .rejected(.refused(error.description))
            case KuCoinErrorCode.noPosition:
                self = .rejected(.reduceOnlyWithoutPosition(symbol: symbol ?? "?"))
            case KuCoinErrorCode.invalidSymbol:
                self = .rejected(.unknownSymbol(symbol ?? "?"))
            case KuCoinErrorCode.internalError:
                self = .unavailable(error.description)
            case KuCoinErrorCode.tooManyRequests:
                self = .rateLimited(retryAfterSeconds: nil)
            default:
                self = .rejected(.refused(error.description))
            }
        }
    }
}
