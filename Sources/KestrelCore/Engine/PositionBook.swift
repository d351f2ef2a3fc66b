/// The engine's open positions, at most one per symbol, read and changed by symbol as a dictionary would be.
///
/// There are a handful at most (MAX_OPEN_POSITIONS, 3 by default), and a backtest looks one up for every price: a
/// short array searched by symbol costs less than hashing the symbol each time. The order of `values` is not
/// meaningful (a removal moves the last position into the gap); callers that need an order sort.
public struct PositionBook: Sendable, Equatable {
    /// The positions. The engine changes them in place through `values[index(forKey:)]`.
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
            if let index { values[index] = newValue } else { values.append(newValue) }
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
                    values.append(position)
                    if let index { values.swapAt(index, values.count - 1) }
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
    private mutating func remove(at index: Int) -> ManagedPosition {
        values.swapAt(index, values.count - 1)
        return values.removeLast()
    }
}
