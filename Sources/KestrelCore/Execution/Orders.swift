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

/// The id Kestrel gives an order before sending it, so that a retry or a restart can always tell whether the
/// exchange already has it.
///
/// The engine's own ids read "kst-<number>-<role>-<symbol>" and are held as those parts: a backtest makes a dozen
/// per trade and looks each up several times, so no text is built or hashed until something (a log, the journal, an
/// exchange) asks for `rawValue`. Any other text is held as it is. Parsing is exact: an id is held as parts only
/// when writing them out gives back the same text, so two ids are equal exactly when their texts are.
public struct ClientOrderID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// What an order made by the engine is for, as its id says.
    public enum Role: String, Sendable, CaseIterable {
        case entry, stop, target, partial, exit
    }

    /// The engine's number for the order; -1 for an id held as text. Compared first: ids that differ nearly
    /// always differ here, and an engine looks its orders up by id again and again.
    private let number: Int
    /// The role of an engine id (unused for text).
    private let role: Role
    /// The symbol of an engine id, or the whole text of any other.
    private let text: String

    /// The engine's id for its `number`th order, for `role` on `symbol`.
    public init(number: Int, role: Role, symbol: String) {
        // Held as parts only when its text would parse back into them: a symbol that began with a combining mark
        // would merge with the "-" before it into one character.
        let partsRoundTrip = number >= 0 && (symbol.utf8.first.map { $0 < 0x80 } ?? true)
        if partsRoundTrip {
            self.init(number: number, role: role, text: symbol)
        } else {
            self.init(number: -1, role: .entry, text: Self.text(number: number, role: role, symbol: symbol))
        }
    }

    private init(number: Int, role: Role, text: String) {
        self.number = number
        self.role = role
        self.text = text
    }

    /// How the engine writes its ids.
    private static func text(number: Int, role: Role, symbol: String) -> String {
        "kst-\(number)-\(role.rawValue)-\(symbol)"
    }

    public init(_ rawValue: String) {
        if let parts = Self.parts(of: rawValue) {
            self.init(number: parts.number, role: parts.role, symbol: parts.symbol)
        } else {
            self.init(number: -1, role: .entry, text: rawValue)
        }
    }

    /// The parts of an engine id, when `text` is one written exactly as the engine writes them.
    private static func parts(of text: String) -> (number: Int, role: Role, symbol: String)? {
        guard text.hasPrefix("kst-") else { return nil }
        let fields = text.dropFirst(4).split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let number = Int(fields[0]), number >= 0, let role = Role(rawValue: String(fields[1]))
        else { return nil }
        let symbol = String(fields[2])
        // "kst-007-..." or "kst-+7-..." parse to 7 but are not what the engine writes: such text stays text.
        guard Self.text(number: number, role: role, symbol: symbol) == text else { return nil }
        return (number, role, symbol)
    }

    private var isText: Bool { number < 0 }

    public var rawValue: String { isText ? text : Self.text(number: number, role: role, symbol: text) }

    public var description: String { rawValue }

    public static func == (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool {
        // The role of a text id is a placeholder, the same in every one.
        lhs.number == rhs.number && lhs.role == rhs.role && lhs.text == rhs.text
    }

    public func hash(into hasher: inout Hasher) {
        // Numbers are unique within an engine: neither the symbol nor the role need be hashed too (a role is a
        // String-backed enum, which hashes its name).
        if isText { hasher.combine(text) } else { hasher.combine(number) }
    }

    /// A hash for tables that mix it themselves (`RecentIDs`): an engine id's number as it is, which is unique
    /// within an engine, or the text's hash. Equal ids have equal hashes.
    var tableHash: Int { isText ? text.hashValue : number }

    /// The engine's ids in the order they were made, then any others by their text.
    public static func < (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool {
        switch (lhs.isText, rhs.isText) {
        case (false, false) where lhs.number != rhs.number: lhs.number < rhs.number
        case (false, true): true
        case (true, false): false
        default: lhs.rawValue < rhs.rawValue
        }
    }
}

extension ClientOrderID: Codable {
    /// The saved form is the text under "rawValue", as it has always been.
    private enum CodingKeys: String, CodingKey {
        case rawValue
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .rawValue))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rawValue, forKey: .rawValue)
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
    public var symbol: String
    public var side: OrderSide
    public var lots: Int
    public var price: Double
    /// Fee paid, in the quote currency (positive is a cost).
    public var fee: Double
    public var time: Timestamp
    public var isMaker: Bool
    public var isLiquidation: Bool

    public init(orderID: ClientOrderID, symbol: String, side: OrderSide, lots: Int, price: Double, fee: Double,
                time: Timestamp, isMaker: Bool = false, isLiquidation: Bool = false) {
        self.orderID = orderID
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
        }
    }
}
