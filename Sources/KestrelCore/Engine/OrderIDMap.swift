/// A few values by client order id, kept in id order, read and changed as a dictionary would be.
///
/// The engine keeps such maps for orders in flight: the entries it sent and each position's take-profit orders.
/// There are a handful at most, and every trade adds and removes several. A short sorted array searched in order
/// costs less than hashing an id each time, allocates once, and hands out its keys already sorted (cancels go out in
/// id order). Saved and compared as the dictionary it stands for.
public struct OrderIDMap<Value: Sendable>: Sendable {
    public private(set) var keys: [ClientOrderID] = []
    /// Changed in place by the engine (a target filling in pieces); the keys stay as they are.
    public internal(set) var values: [Value] = []

    public init() {}

    public init(_ dictionary: [ClientOrderID: Value]) {
        for (key, value) in dictionary { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var dictionary: [ClientOrderID: Value] {
        Dictionary(zip(keys, values), uniquingKeysWith: { first, _ in first })
    }

    public func index(forKey key: ClientOrderID) -> Int? { keys.firstIndex(of: key) }

    /// Setting nil removes the value; setting one for a new id files it in id order.
    public subscript(key: ClientOrderID) -> Value? {
        get { index(forKey: key).map { values[$0] } }
        set {
            if let index = index(forKey: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                // Ids are mostly made in order, so a new one nearly always goes last (an append costs less than an
                // insertion there).
                var index = keys.count
                while index > 0, key < keys[index - 1] { index -= 1 }
                if index == keys.count {
                    keys.append(key)
                    values.append(newValue)
                } else {
                    keys.insert(key, at: index)
                    values.insert(newValue, at: index)
                }
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: ClientOrderID) -> Value? {
        guard let index = index(forKey: key) else { return nil }
        return remove(at: index)
    }

    /// Removes the value at `index` (from `index(forKey:)`) and returns it.
    @discardableResult
    public mutating func remove(at index: Int) -> Value {
        keys.remove(at: index)
        return values.remove(at: index)
    }

    /// Removes the value filed under `key`, if any; true when there was one. For a caller that does not read the
    /// value: no optional copy of it is made (the engine asks this of every fill and cancel it hears, and an entry
    /// in flight is a large value).
    @discardableResult
    public mutating func discard(_ key: ClientOrderID) -> Bool {
        guard let index = index(forKey: key) else { return false }
        remove(at: index)
        return true
    }

    public mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }
}

extension OrderIDMap: Equatable where Value: Equatable {}

extension OrderIDMap: Codable where Value: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try [ClientOrderID: Value](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try dictionary.encode(to: encoder)
    }
}
