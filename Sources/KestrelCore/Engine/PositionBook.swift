/// The engine's open positions, at most one per symbol, read and changed by symbol as a dictionary would be.
///
/// There are a handful at most (MAX_OPEN_POSITIONS, 3 by default), and a backtest looks one up for every price: a
/// short array searched by symbol costs less than hashing the symbol each time. It is kept in symbol order, so the
/// monitor, which goes through the positions in that order at every tick, need not sort them.
public struct PositionBook: Sendable, Equatable {
    /// The positions, in symbol order. The engine changes them in place through `values[index(forKey:)]`, never
    /// their symbols.
    public internal(set) var values: [ManagedPosition] = []

    public init() {}

    /// The positions of `dictionary`, in symbol order, each filed under its key (a saved state is found by key, as
    /// it always was, even if a position in it names another symbol).
    public init(_ dictionary: [String: ManagedPosition]) {
        values = dictionary.keys.sorted().compactMap { key in
            dictionary[key].map { position in
                var filed = position
                filed.symbol = key
                return filed
            }
        }
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var keys: [String] { values.map(\.symbol) }
    /// The positions by symbol, as a saved state keeps them.
    public var dictionary: [String: ManagedPosition] {
        Dictionary(values.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func index(forKey symbol: String) -> Int? { values.firstIndex { $0.symbol == symbol } }

    /// The position on `symbol`; setting nil closes it, setting one for a symbol without a position adds it. A
    /// position is always filed under its own symbol.
    public subscript(symbol: String) -> ManagedPosition? {
        get { index(forKey: symbol).map { values[$0] } }
        set {
            let index = index(forKey: symbol)
            guard let newValue else {
                if let index { remove(at: index) }
                return
            }
            precondition(newValue.symbol == symbol, "a position is filed under its own symbol")
            if let index { values[index] = newValue } else { insert(newValue) }
        }
        // In place, as a dictionary's subscript is: the position is moved out and back, never copied, so changing
        // its target-order map does not copy the map.
        _modify {
            var position: ManagedPosition?
            let index = index(forKey: symbol)
            if let index {
                values.swapAt(index, values.count - 1)
                position = values.removeLast()
            }
            defer {
                if let position {
                    precondition(position.symbol == symbol, "a position is filed under its own symbol")
                    if let index {
                        values.append(position)
                        values.swapAt(index, values.count - 1)
                    } else {
                        values.insert(position, at: insertionIndex(of: symbol))
                    }
                } else if let index, index < values.count {
                    // Removed: the last position, swapped into the gap, goes back to the end.
                    values.append(values.remove(at: index))
                }
            }
            yield &position
        }
    }

    @discardableResult
    public mutating func removeValue(forKey symbol: String) -> ManagedPosition? {
        guard let index = index(forKey: symbol) else { return nil }
        return remove(at: index)
    }

    @discardableResult
    private mutating func remove(at index: Int) -> ManagedPosition { values.remove(at: index) }

    private mutating func insert(_ position: ManagedPosition) {
        values.insert(position, at: insertionIndex(of: position.symbol))
    }

    /// Where a position on `symbol` goes to keep the symbol order.
    private func insertionIndex(of symbol: String) -> Int {
        values.firstIndex { $0.symbol > symbol } ?? values.count
    }
}
