/// The streamed symbols of a market, found by symbol and changed where they lie.
///
/// A `StreamedSymbol` carries a few kilobytes of candles and indicator state, and a scan touches every one (it keeps
/// each symbol's verdict). A dictionary's subscript moves its value out and back around every change; an array
/// element is changed in place. So the symbols lie in an array, and a dictionary finds their place.
///
/// The accessors are inlinable: a venue adapter calls them for every symbol at every scan, and unspecialized across
/// the module boundary each call looked up its generic result type's metadata at run time.
public struct StreamedSymbols: Sendable {
    @usableFromInline var all: [StreamedSymbol] = []
    @usableFromInline var slots: [String: Int] = [:]

    public init() {}

    public var count: Int { all.count }
    public var isEmpty: Bool { all.isEmpty }
    /// The symbols held, in the order they were added.
    public var symbols: [String] { all.map(\.symbol) }

    public func contains(_ symbol: String) -> Bool { slots[symbol] != nil }

    /// The symbol's state, read in place by `read`; nil when the symbol is not held.
    @inlinable
    public func read<R>(_ symbol: String, _ read: (borrowing StreamedSymbol) throws -> R) rethrows -> R? {
        guard let slot = slots[symbol] else { return nil }
        return try read(all[slot])
    }

    /// Changes the symbol's state in place; nil when the symbol is not held.
    @inlinable
    public mutating func change<R>(_ symbol: String, _ change: (inout StreamedSymbol) throws -> R) rethrows -> R? {
        guard let slot = slots[symbol] else { return nil }
        return try change(&all[slot])
    }

    /// Changes every symbol's state in place, in the order they were added.
    @inlinable
    public mutating func changeAll(_ change: (inout StreamedSymbol) throws -> Void) rethrows {
        for slot in all.indices { try change(&all[slot]) }
    }

    /// Every symbol's state, read in place, in the order they were added.
    @inlinable
    public func forEach(_ body: (borrowing StreamedSymbol) throws -> Void) rethrows {
        for slot in all.indices { try body(all[slot]) }
    }

    /// Adds a symbol's state, or replaces the one held.
    public mutating func insert(_ symbol: StreamedSymbol) {
        if let slot = slots[symbol.symbol] {
            all[slot] = symbol
        } else {
            slots[symbol.symbol] = all.count
            all.append(symbol)
        }
    }

    /// Drops a symbol (a delisting: rare, so the places after it are simply renumbered).
    public mutating func remove(_ symbol: String) {
        guard let slot = slots.removeValue(forKey: symbol) else { return }
        all.remove(at: slot)
        for index in slot..<all.count { slots[all[index].symbol] = index }
    }
}
