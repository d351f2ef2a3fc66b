import Foundation

/// KuCoin's refusal of a request that was well signed: its code and message, sent with HTTP 200 as the exchange
/// sends its business errors.
struct FakeRefusal: Error, Equatable {
    var code: String
    var message: String

    static func invalid(_ message: String) -> FakeRefusal { FakeRefusal(code: "100001", message: message) }
}

/// The body of `POST /api/v1/orders`, read as leniently as KuCoin reads it (a size or leverage may come as a string
/// of an integer, a price as a number) and checked as strictly: a field the exchange would refuse is refused here,
/// with its code, so a client that sends it learns it from the tests and not from the exchange.
struct FakeOrderRequest: Equatable {
    var clientOid: String
    var side: String
    var symbol: String
    var type: String
    var size: Int
    var price: Double?
    /// Nil when not sent: the position's leverage then, or 1.
    var leverage: Int?
    var marginMode: String
    var reduceOnly: Bool
    var timeInForce: String
    var stop: String?
    var stopPrice: Double?
    var stopPriceType: String?

    /// The request in `body`, or code 100001 naming the first field that is missing or wrong.
    init(json body: String) throws(FakeRefusal) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw .invalid("the body is not a JSON object")
        }
        guard let clientOid = object["clientOid"] as? String, Self.isValidClientOid(clientOid) else {
            throw .invalid("clientOid must be 1 to 40 characters of [A-Za-z0-9_-]")
        }
        guard let side = object["side"] as? String, ["buy", "sell"].contains(side) else {
            throw .invalid("side must be buy or sell")
        }
        guard let symbol = object["symbol"] as? String, !symbol.isEmpty else { throw .invalid("symbol is required") }
        let type = object["type"].map { $0 as? String } ?? "limit"
        guard let type, ["limit", "market"].contains(type) else { throw .invalid("type must be limit or market") }
        guard let size = Self.integer(object["size"]), size > 0 else {
            throw .invalid("size must be a positive integer of lots")
        }
        self.clientOid = clientOid
        self.side = side
        self.symbol = symbol
        self.type = type
        self.size = size

        price = Self.decimal(object["price"])
        if type == "limit" {
            guard let price, price > 0 else { throw .invalid("a limit order needs a positive price") }
        } else {
            price = nil
        }
        if object["leverage"] != nil {
            guard let leverage = Self.integer(object["leverage"]), leverage >= 1 else {
                throw .invalid("leverage must be a positive integer")
            }
            self.leverage = leverage
        }
        marginMode = object["marginMode"].map { $0 as? String ?? "" } ?? "ISOLATED"
        guard ["ISOLATED", "CROSS"].contains(marginMode) else { throw .invalid("marginMode must be ISOLATED or CROSS") }
        reduceOnly = object["reduceOnly"] as? Bool ?? false
        timeInForce = object["timeInForce"].map { $0 as? String ?? "" } ?? "GTC"
        guard ["GTC", "IOC"].contains(timeInForce) else { throw .invalid("timeInForce must be GTC or IOC") }
        try readStop(object)
    }

    /// `stop`, `stopPrice` and `stopPriceType`: all three for a stop order, and none of the others without `stop`.
    private mutating func readStop(_ object: [String: Any]) throws(FakeRefusal) {
        guard let value = object["stop"] else { return }
        guard let stop = value as? String, ["up", "down"].contains(stop) else {
            throw .invalid("stop must be up or down")
        }
        guard let stopPrice = Self.decimal(object["stopPrice"]), stopPrice > 0 else {
            throw .invalid("a stop order needs a positive stopPrice")
        }
        guard let stopPriceType = object["stopPriceType"] as? String, ["TP", "MP", "IP"].contains(stopPriceType)
        else {
            throw .invalid("a stop order needs stopPriceType TP, MP or IP")
        }
        self.stop = stop
        self.stopPrice = stopPrice
        self.stopPriceType = stopPriceType
    }

    /// KuCoin's rule: at most 40 characters, letters, digits, `_` and `-` only.
    static func isValidClientOid(_ text: String) -> Bool {
        (1...40).contains(text.count) && text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    /// An integer sent as a JSON number or as a string of one (`5`, `"5"`); nil for anything else (`5.5`, `true`).
    static func integer(_ value: Any?) -> Int? {
        if let text = value as? String { return Int(text) }
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    /// A decimal sent as a string (`"66000"`, KuCoin's way) or as a JSON number.
    static func decimal(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text).flatMap { $0.isFinite ? $0 : nil } }
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return number.doubleValue
    }

    /// JSONSerialization gives `true` and `false` as numbers too: they are not sizes.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
