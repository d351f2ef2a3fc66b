/// Which run of Kestrel an order belongs to: part of every client order id, so that ids stay unique on an account for
/// ever, across restarts (a run keeps its id) and new runs (`kestrel run --reset` starts a new one).
///
/// Eight base-36 characters: six for the second the run started (counted from 2024, enough for 69 years, so runs
/// started at different seconds never share an id) and two of entropy for runs started in the same second.
public struct RunID: Hashable, Sendable, CustomStringConvertible {
    /// The id as a number below 36^8.
    public let value: UInt64

    static let width = 8
    static let limit: UInt64 = 2_821_109_907_456  // 36^8
    private static let epoch: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z

    /// The run started at `time`, with `entropy` telling apart runs started in the same second.
    public init(startedAt time: Timestamp, entropy: UInt64) {
        let seconds = UInt64(max(0, time.seconds - Self.epoch)) % 2_176_782_336  // 36^6
        value = seconds * 1_296 + entropy % 1_296
    }

    /// A run id from its number (taken below 36^8).
    public init(value: UInt64) { self.value = value % Self.limit }

    /// A run id from its text: exactly eight characters of 0-9 and a-z.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count == Self.width else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = UInt64(byte - UInt8(ascii: "a")) + 10
            default: return nil
            }
            value = value * 36 + digit
        }
        self.value = value
    }

    /// Eight characters of 0-9 and a-z, zero-padded.
    public var text: String {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: Self.width)
        var rest = value
        for index in digits.indices.reversed() {
            let digit = UInt8(rest % 36)
            digits[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            rest /= 36
        }
        return String(decoding: digits, as: UTF8.self)
    }

    public var description: String { text }
}

extension RunID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = RunID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a run id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
