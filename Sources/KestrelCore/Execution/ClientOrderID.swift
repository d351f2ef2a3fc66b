/// The id Kestrel gives an order before sending it, so that a retry or a restart can always tell whether the
/// exchange already has it.
///
/// The engine's ids read "kst-<run>-<number>-<role>-<symbol>": the run (`RunID`) keeps them unique on an account
/// for ever, the number within the run, and the role (one letter) and symbol say what the order is for. Exchanges
/// take at most 40 characters of `[A-Za-z0-9_-]` (KuCoin's `clientOid`): other characters of a symbol become "_",
/// and a symbol too long to fit is cut. An id is held as those parts: a backtest makes a dozen per trade and looks
/// each up several times, so no text is built or hashed until something (a log, the journal, an exchange) asks for
/// `rawValue`. Any other text is held as it is. Parsing is exact: an id is held as parts only when writing them out
/// gives back the same text, so two ids are equal exactly when their texts are.
public struct ClientOrderID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// What an order made by the engine is for, as its id says.
    public enum Role: String, Sendable, CaseIterable {
        case entry, stop, target, partial, exit

        /// The letter that stands for the role in an id.
        var letter: Character {
            switch self {
            case .entry: "e"
            case .stop: "s"
            case .target: "t"
            case .partial: "p"
            case .exit: "x"
            }
        }

        /// The role's place in `allCases`.
        var index: Int {
            switch self {
            case .entry: 0
            case .stop: 1
            case .target: 2
            case .partial: 3
            case .exit: 4
            }
        }

        init?(letter: Substring) {
            guard let role = Role.allCases.first(where: { String($0.letter) == letter }) else { return nil }
            self = role
        }
    }

    /// The prefix of every id the engine makes: orders carrying it that Kestrel does not know are its own orphans.
    public static let prefix = "kst-"
    /// The longest id exchanges take.
    public static let maximumLength = 40

    /// The engine's number for the order; -1 for an id held as text. Compared first: ids that differ nearly
    /// always differ here, and an engine looks its orders up by id again and again.
    private let number: Int
    /// The run of an engine id (its value, under 2^42) and its role (the role's place in `Role.allCases`, in the
    /// low byte), in one word: an id is copied with every order, fill and event, and eight bytes fewer are felt.
    /// Unused for text.
    private let runAndRole: UInt64
    /// The symbol of an engine id as the id writes it, or the whole text of any other.
    private let text: String

    /// The engine's id for its `number`th order of run `run`, for `role` on `symbol`.
    public init(run: RunID, number: Int, role: Role, symbol: String) {
        let number = max(0, number)
        // "kst-", the run, its number and the role letter, each with a "-" after it. Counted rather than written
        // out: the engine makes ids by the dozen for every trade, and most are never written out at all.
        var digits = 1, rest = number
        while rest >= 10 {
            digits += 1
            rest /= 10
        }
        let room = Self.maximumLength - (Self.prefix.utf8.count + RunID.width + 1 + digits + 1 + 1 + 1)
        self.init(number: number, run: run, role: role, text: Self.idSafe(symbol, room: room))
    }

    private init(number: Int, run: RunID, role: Role, text: String) {
        self.number = number
        runAndRole = run.value << 8 | UInt64(role.index)
        self.text = text
    }

    private var run: RunID { RunID(value: runAndRole >> 8) }
    private var role: Role { Role.allCases[Int(runAndRole & 0xFF)] }

    /// `symbol` in the characters an id may hold, cut to `room` of them.
    private static func idSafe(_ symbol: String, room: Int) -> String {
        // Read as the bytes the string holds where it can (a native string): going through the UTF-8 view byte by
        // byte cost the backtest about 1% of its time, as the engine makes an id for every order.
        let fits = symbol.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.count <= room && bytes.allSatisfy { isAllowed($0) }
        } ?? (symbol.utf8.count <= room && isAllowed(symbol))
        if fits { return symbol }
        let bytes = symbol.utf8.prefix(max(0, room)).map { isAllowed($0) ? $0 : UInt8(ascii: "_") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether every byte of `text` may stand in an id. A plain loop: the engine asks for every id it makes.
    private static func isAllowed(_ text: String) -> Bool {
        for byte in text.utf8 where !isAllowed(byte) { return false }
        return true
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    /// How the engine writes its ids.
    private static func text(run: RunID, number: Int, role: Role, symbol: String) -> String {
        "\(prefix)\(run.text)-\(number)-\(role.letter)-\(symbol)"
    }

    public init(_ rawValue: String) {
        if let parts = Self.parts(of: rawValue) {
            self.init(number: parts.number, run: parts.run, role: parts.role, text: parts.symbol)
        } else {
            self.init(number: -1, run: RunID(value: 0), role: .entry, text: rawValue)
        }
    }

    /// The parts of an engine id, when `text` is one written exactly as the engine writes them.
    private static func parts(of text: String) -> (run: RunID, number: Int, role: Role, symbol: String)? {
        guard text.hasPrefix(prefix) else { return nil }
        let fields = text.dropFirst(prefix.utf8.count).split(separator: "-", maxSplits: 3,
                                                             omittingEmptySubsequences: false)
        guard fields.count == 4, let run = RunID(fields[0]), let number = Int(fields[1]), number >= 0,
              let role = Role(letter: fields[2]) else { return nil }
        let symbol = String(fields[3])
        // "kst-...-007-..." or "-+7-" parse to 7 but are not what the engine writes: such text stays text, and so
        // does a symbol the engine would have written otherwise.
        guard Self.text(run: run, number: number, role: role, symbol: symbol) == text,
              text.utf8.count <= maximumLength, isAllowed(symbol) else { return nil }
        return (run, number, role, symbol)
    }

    private var isText: Bool { number < 0 }

    /// Whether this is an id the engine made (of any run).
    public var isKestrels: Bool { !isText || text.hasPrefix(Self.prefix) }

    /// The run and number of an engine id; nil for text.
    public var runAndNumber: (run: RunID, number: Int)? { isText ? nil : (run, number) }

    public var rawValue: String { isText ? text : Self.text(run: run, number: number, role: role, symbol: text) }

    public var description: String { rawValue }

    public static func == (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool {
        // The run and role of a text id are placeholders, the same in every one.
        lhs.number == rhs.number && lhs.runAndRole == rhs.runAndRole && lhs.text == rhs.text
    }

    public func hash(into hasher: inout Hasher) {
        // Numbers are unique within a run, and an engine's ids are of one run: neither the symbol nor the role need
        // be hashed too (a role is a String-backed enum, which hashes its name).
        if isText { hasher.combine(text) } else { hasher.combine(number) }
    }

    /// A hash for tables that mix it themselves (`RecentIDs`): an engine id's number as it is, which is unique
    /// within an engine, or the text's hash. Equal ids have equal hashes.
    public var tableHash: Int { isText ? text.hashValue : number }

    /// The engine's ids by run and in the order they were made, then any others by their text.
    public static func < (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool {
        switch (lhs.isText, rhs.isText) {
        case (false, false) where lhs.run != rhs.run: lhs.run.value < rhs.run.value
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

extension Optional<ClientOrderID> {
    /// Whether this is `id`: `self == id`, without the tuple of two optionals that `==` builds and the runtime then
    /// destroys through the tuple's metadata (an id holds a string). The engine compares every fill, acknowledgement
    /// and refusal with a position's orders; that destruction alone was about 1% of a backtest.
    @inline(__always)
    func holds(_ id: ClientOrderID) -> Bool {
        guard case .some(let own) = self else { return false }
        return own == id
    }
}
