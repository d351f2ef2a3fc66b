import Foundation

/// Says in one line where an answer departs from what was expected: the field's path and what was wrong.
enum DecodingProblem {
    static func describe(_ error: any Error, body: some Collection<UInt8>) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type), \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): missing \(type)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not JSON: \(excerpt(body))" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// "data[3].multiplier"
    static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "the answer" }
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// The start of a body, printable, for an error message.
    static func excerpt(_ body: some Collection<UInt8>, limit: Int = 120) -> String {
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
            .map { $0.isASCII && ($0.isLetter || $0.isNumber || $0.isPunctuation || $0.isSymbol || $0 == " ") ? $0 : "." }
        let shown = String(text)
        return body.count > limit ? "\"\(shown)...\" (\(body.count) bytes)" : "\"\(shown)\""
    }
}

extension KeyedDecodingContainer {
    /// A number KuCoin may send as a JSON number or as a string of one; nil when missing or null. Anything else (a
    /// word, an object, "NaN", "inf") throws, naming the field: every number read here is finite.
    func lenientDouble(forKey key: Key) throws -> Double? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let number = try? decode(Double.self, forKey: key), number.isFinite { return number }
        let text = try decode(String.self, forKey: key)
        guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "\"\(text)\" is not a finite number")
        }
        return number
    }

    /// A string, or nil when missing or null; a number is taken as its text.
    func lenientString(forKey key: Key) throws -> String? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key) { return text }
        if let number = try? decode(Int64.self, forKey: key) { return String(number) }
        return String(try decode(Double.self, forKey: key))
    }

    /// A boolean, or nil when missing or null; "true" and "false" as strings are taken too.
    func lenientBool(forKey key: Key) throws -> Bool? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let flag = try? decode(Bool.self, forKey: key) { return flag }
        switch try decode(String.self, forKey: key).lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not true or false")
        }
    }
}

extension Double {
    /// The nearest whole number, or nil when an `Int` cannot hold it exactly (not finite, or beyond 2^53): how a
    /// count read from the wire (lots, leverage, a page) becomes an `Int` without trapping on a bad answer.
    var wholeNumber: Int? {
        guard isFinite, abs(self) < 9_007_199_254_740_992 else { return nil }
        return Int(rounded())
    }
}

/// One element of a list, decoded on its own: a malformed element is kept as its problem, and the rest of the list
/// still decodes.
struct Lenient<Element: Decodable & Sendable>: Decodable, Sendable {
    var result: Result<Element, DecodingFailure>

    init(from decoder: any Decoder) throws {
        do {
            result = .success(try Element(from: decoder))
        } catch {
            result = .failure(DecodingFailure(reason: DecodingProblem.describe(error, body: [UInt8]())))
        }
    }
}

struct DecodingFailure: Error, Sendable {
    var reason: String
}
