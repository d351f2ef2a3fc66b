import Foundation

/// How the fake writes numbers and objects into JSON. KuCoin never sends an exponent (`1e-05`), so neither does the
/// fake; otherwise a number is written as Swift writes it, the shortest text that reads back as the same `Double`, so
/// a test can compare what a client parsed with the fake's state exactly.
enum FakeWire {
    /// `value` as a JSON number, without an exponent.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return "\(Int64(value))" }
        let text = "\(value)"
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }),
              let exponent = Int(text[text.index(after: e)...]) else { return text }
        // Move the point of the mantissa ("-1.25") by the exponent, padding with zeros.
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let point = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) }
            ?? mantissa.count
        let digits = mantissa.filter { $0 != "." }
        let shifted = point + exponent
        var result: String
        if shifted <= 0 {
            result = "0." + String(repeating: "0", count: -shifted) + digits
        } else if shifted >= digits.count {
            result = digits + String(repeating: "0", count: shifted - digits.count)
        } else {
            result = String(digits.prefix(shifted)) + "." + String(digits.dropFirst(shifted))
        }
        if result.contains(".") {
            while result.hasSuffix("0") { result.removeLast() }
            if result.hasSuffix(".") { result.removeLast() }
        }
        return negative ? "-" + result : result
    }

    /// `value` as a JSON string holding a number, as KuCoin writes prices, values and fees (`"67430.9"`).
    static func quoted(_ value: Double) -> String { "\"\(number(value))\"" }

    /// An integer as a JSON string, as the order pushes write sizes (`"5"`).
    static func quoted(_ value: Int) -> String { "\"\(value)\"" }

    /// `text` as a JSON string. The fake's own strings (symbols, ids, modes) need no escaping, but a test may put
    /// anything into the state.
    static func string(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\""
    }

    /// `text` as a JSON string, or `null`.
    static func string(_ text: String?) -> String { text.map { string($0) } ?? "null" }

    /// A JSON object of fields already rendered, in the given order (KuCoin's order is kept for readable captures).
    static func object(_ fields: KeyValuePairs<String, String>) -> String {
        "{" + fields.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    /// A JSON object of fields already rendered, in the given order.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A paged answer (`/api/v1/orders`, `/api/v1/stopOrders`): `currentPage`, `pageSize`, `totalNum`, `totalPage`,
    /// `items`. Pages count from 1; KuCoin's page size is 50 by default and 1000 at most.
    static func page(_ items: [String], currentPage: Int?, pageSize: Int?) -> String {
        let size = min(1_000, max(1, pageSize ?? 50))
        let page = max(1, currentPage ?? 1)
        let start = min(items.count, (page - 1) * size)
        let slice = items[start..<min(items.count, start + size)]
        let totalPage = (items.count + size - 1) / size
        return "{\"currentPage\":\(page),\"pageSize\":\(size),\"totalNum\":\(items.count),\"totalPage\":\(totalPage),"
            + "\"items\":[\(slice.joined(separator: ","))]}"
    }
}
