/// Each symbol's slot: its place in the order the symbols were first added, never reused.
///
/// The engine and the paper exchange find a symbol's state through this at every order, fill and funding payment. A
/// `[String: Int]` runs a keyed hash over the whole symbol at each lookup. Symbols are short, and a string of up to
/// fifteen UTF-8 bytes is held in the sixteen bytes of the `String` value itself; two strings whose values have the
/// same bytes are the same string. So a symbol is looked for first by those bytes, with a multiplication for a hash,
/// and the dictionary is asked only when that finds nothing: a symbol not held, a longer one (whose value holds a
/// pointer), or an equal one in another form. A miss costs both lookups; a symbol that is held costs one.
struct SymbolSlots: Sendable {
    /// The symbols, by slot.
    private(set) var symbols: [String] = []
    private var dictionary: [String: Int] = [:]
    /// Open addressing with linear probing over the symbols' bytes: `slots[i]` is 0 when empty, else the slot + 1
    /// of the symbol whose bytes are `keys[i]`. At least twice as many entries as symbols, so probes stay short.
    private var keys: [StringBytes]
    private var slots: [Int32]
    /// The shift that takes a key's mixed hash to an entry: 64 less log2 of the entry count.
    private var shift: Int

    /// The sixteen bytes of a `String` value.
    private struct StringBytes: Equatable, Sendable {
        var low: UInt64
        var high: UInt64

        init(_ string: String) {
            (low, high) = withUnsafeBytes(of: string) { bytes in
                (bytes.loadUnaligned(as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
        }

        static let empty = StringBytes(low: 0, high: 0)

        private init(low: UInt64, high: UInt64) {
            self.low = low
            self.high = high
        }
    }

    init(_ symbols: some Sequence<String> = []) {
        keys = Array(repeating: .empty, count: 8)
        slots = Array(repeating: 0, count: 8)
        shift = 64 - 3
        for symbol in symbols { _ = slot(adding: symbol) }
    }

    var count: Int { symbols.count }

    /// Where the search for `key` starts.
    @inline(__always)
    private func place(of key: StringBytes) -> Int {
        // Fibonacci hashing: the high bits of the product depend on every bit of the mixed key.
        Int(truncatingIfNeeded: ((key.low ^ (key.high &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15)
            >> UInt64(shift))
    }

    /// The slot of `symbol`, if it has one.
    @inline(__always)
    func slot(of symbol: String) -> Int? {
        let key = StringBytes(symbol)
        let mask = slots.count - 1
        var index = place(of: key)
        while slots[index] != 0 {
            if keys[index] == key { return Int(slots[index]) - 1 }
            index = (index + 1) & mask
        }
        return dictionary[symbol]
    }

    /// The slot of `symbol`, given it now if it has none.
    mutating func slot(adding symbol: String) -> Int {
        if let slot = slot(of: symbol) { return slot }
        let slot = symbols.count
        symbols.append(symbol)
        dictionary[symbol] = slot
        if 2 * symbols.count > slots.count { grow() } else { file(StringBytes(symbol), slot: slot) }
        return slot
    }

    /// Files `key` for `slot` in the first free entry from its place.
    private mutating func file(_ key: StringBytes, slot: Int) {
        let mask = slots.count - 1
        var index = place(of: key)
        while slots[index] != 0 {
            // The same bytes are the same symbol: filed already (it cannot be, as symbols are added once).
            if keys[index] == key { return }
            index = (index + 1) & mask
        }
        keys[index] = key
        slots[index] = Int32(slot + 1)
    }

    /// Doubles the table and files every symbol again.
    private mutating func grow() {
        keys = Array(repeating: .empty, count: 2 * keys.count)
        slots = Array(repeating: 0, count: keys.count)
        shift -= 1
        for (slot, symbol) in symbols.enumerated() { file(StringBytes(symbol), slot: slot) }
    }
}
