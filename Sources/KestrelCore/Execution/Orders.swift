/// Which way an order trades.
public enum OrderSide: String, Sendable, Codable, Hashable {
    case buy
    case sell

    public var opposite: OrderSide { self == .buy ? .sell : .buy }
    /// +1 for buy, -1 for sell: the sign of the position change.
    public var sign: Double { self == .buy ? 1 : -1 }
}

/// Which way a position faces.
public enum PositionSide: String, Sendable, Codable, Hashable {
    case long
    case short

    /// The order side that opens (or adds to) this position.
    public var entrySide: OrderSide { self == .long ? .buy : .sell }
    /// The order side that reduces this position.
    public var exitSide: OrderSide { self == .long ? .sell : .buy }
    public var sign: Double { self == .long ? 1 : -1 }

    /// The profit of `quantity` of the base asset held this way from `entry` to `price` (negative: a loss). The one
    /// formula behind unrealised and realised PnL, in the engine, the paper exchange and the backtests, so that they
    /// agree to the last bit.
    @inline(__always)
    public func pnl(from entry: Double, to price: Double, quantity: Double) -> Double {
        sign * (price - entry) * quantity
    }
}

public enum OrderKind: Sendable, Hashable, Codable {
    case market
    case limit(price: Double)
    /// A market order that the exchange sends when the price trades through `trigger`.
    case stopMarket(trigger: Double)
}

/// Why Kestrel sends an order; kept with the order for logs, the journal and exit statistics.
public enum OrderPurpose: Sendable, Hashable, Codable {
    case entry
    case stopLoss
    case exit(ExitReason)
}

/// Why a position (or part of one) was closed.
public enum ExitReason: String, Sendable, Codable, Hashable, CaseIterable {
    case stopLoss = "stop_loss"
    case trailingStop = "trailing_stop"
    case breakEven = "break_even"
    case takeProfit = "take_profit"
    case partialTakeProfit = "partial_take_profit"
    case maxHold = "max_hold"
    case momentumReversal = "momentum_reversal"
    case profitLock = "profit_lock"
    case liquidation
    case shutdown
    /// The exchange no longer had the position when Kestrel reconciled (closed while Kestrel was away).
    case reconciliation
    /// The venue did not acknowledge a stop for the position within `STOP_GRACE_SECONDS`: closed rather than left
    /// unprotected.
    case noStop = "no_stop"
    /// Closed by a person, through the API or the dashboard.
    case manual
}

public struct OrderRequest: Sendable, Hashable, Codable {
    public var id: ClientOrderID
    public var symbol: String
    public var side: OrderSide
    /// Whole lots (contracts); one lot is the instrument's contract multiplier in coins.
    public var lots: Int
    public var kind: OrderKind
    /// Only ever reduces a position, never opens or flips one.
    public var reduceOnly: Bool
    public var leverage: Int
    public var purpose: OrderPurpose

    public init(id: ClientOrderID, symbol: String, side: OrderSide, lots: Int, kind: OrderKind, reduceOnly: Bool,
                leverage: Int, purpose: OrderPurpose) {
        self.id = id
        self.symbol = symbol
        self.side = side
        self.lots = lots
        self.kind = kind
        self.reduceOnly = reduceOnly
        self.leverage = leverage
        self.purpose = purpose
    }
}

/// An execution reported by the exchange.
public struct Fill: Sendable, Hashable, Codable {
    public var orderID: ClientOrderID
    /// The venue's id for this execution: a venue may report one fill twice (on its stream and again in a REST
    /// snapshot), and the engine and the journal count a trade id once.
    public var tradeID: TradeID
    public var symbol: String
    public var lots: Int
    public var price: Double
    /// Fee paid, in the quote currency (positive is a cost).
    public var fee: Double
    public var time: Timestamp
    // The one-byte fields last, together: a fill is copied with every event, and this packs it 8 bytes smaller.
    public var side: OrderSide
    public var isMaker: Bool
    public var isLiquidation: Bool

    public init(orderID: ClientOrderID, tradeID: TradeID, symbol: String, side: OrderSide, lots: Int, price: Double,
                fee: Double, time: Timestamp, isMaker: Bool = false, isLiquidation: Bool = false) {
        self.orderID = orderID
        self.tradeID = tradeID
        self.symbol = symbol
        self.side = side
        self.lots = lots
        self.price = price
        self.fee = fee
        self.time = time
        self.isMaker = isMaker
        self.isLiquidation = isLiquidation
    }
}

/// Why an exchange refused an order: typed, so the engine can react to each case.
public enum OrderRejection: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownSymbol(String)
    case insufficientMargin(required: Double, available: Double)
    case belowMinimumLot(lots: Int, minimum: Int)
    case notALotMultiple(lots: Int, lotSize: Int)
    case badPrice(Double)
    case leverageOutOfRange(requested: Int, maximum: Int)
    case reduceOnlyWithoutPosition(symbol: String)
    case duplicateOrderID(ClientOrderID)
    case unknownOrder(ClientOrderID)
    case noPrice(symbol: String)
    /// Kestrel could not record the order before sending it, so it was not sent.
    case notRecorded(String)
    /// The venue refused it for a reason of its own (its code and message, as it gave them).
    case refused(String)

    /// Whether this refuses a reduce-only `request` only because the position it would reduce is already closed.
    public func isPositionAlreadyGone(for request: OrderRequest) -> Bool {
        if request.reduceOnly, case .reduceOnlyWithoutPosition = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .unknownSymbol(let symbol): return "unknown symbol \(symbol)"
        case .insufficientMargin(let required, let available):
            return "insufficient margin: \(required) needed, \(available) available"
        case .belowMinimumLot(let lots, let minimum): return "\(lots) lots is below the minimum of \(minimum)"
        case .notALotMultiple(let lots, let lotSize): return "\(lots) lots is not a multiple of \(lotSize)"
        case .badPrice(let price): return "bad price \(price)"
        case .leverageOutOfRange(let requested, let maximum): return "leverage \(requested)x outside 1-\(maximum)x"
        case .reduceOnlyWithoutPosition(let symbol): return "reduce-only order but no \(symbol) position to reduce"
        case .duplicateOrderID(let id): return "order id \(id) already used"
        case .unknownOrder(let id): return "no open order \(id)"
        case .noPrice(let symbol): return "no price yet for \(symbol)"
        case .notRecorded(let reason): return "not sent: the journal could not record it (\(reason))"
        case .refused(let reason): return "refused by the venue: \(reason)"
        }
    }
}
