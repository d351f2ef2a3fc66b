/// A venue's id for one execution (a fill): the engine and the journal count a fill once by it, however often a
/// venue reports it.
///
/// A venue's ids are text; the paper exchange numbers its fills. A number is held as one (a backtest makes tens of
/// thousands of fills, and need not write each number out), and text that is exactly a number written out (no sign,
/// no leading zero) is held as that number, so two ids are equal exactly when their texts are.
public struct TradeID: Hashable, Sendable, CustomStringConvertible {
    /// The number, or -1 for an id held as text.
    private let number: Int64
    private let text: String

    private init(number: Int64, text: String) {
        self.number = number
        self.text = text
    }

    public init(number: Int64) { self.init(number: max(0, number), text: "") }

    public init(_ text: String) {
        if let number = Int64(text), number >= 0, String(number) == text {
            self.init(number: number, text: "")
        } else {
            self.init(number: -1, text: text)
        }
    }

    public var rawValue: String { number >= 0 ? String(number) : text }

    /// A hash for tables that mix it themselves (`RecentIDs`): a number as it is, or the text's hash.
    public var tableHash: Int { number >= 0 ? Int(truncatingIfNeeded: number) : text.hashValue }
    public var description: String { rawValue }
}

extension TradeID: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension TradeID: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}
