/// The most recent ids: at least the last `capacity`, at most twice as many.
///
/// Held as two generations: the ids since the last turnover (the current one) and the generation before. When the
/// current one is full it becomes the previous one and the older generation is dropped in one go: removing the
/// oldest id at every insert instead would cost a removal from a hashed table for every order the exchange takes.
///
/// The paper exchange checks every order's client id against these, and the engine every fill's trade id, so they
/// are kept in a table of their own rather than a `Set`: an engine id or a paper trade id is placed by its number,
/// with a multiplication where a `Set` would run a keyed hash over it (and a `Set` started afresh at each turnover
/// would grow, and rehash, again and again).
public struct RecentIDs<ID: TableHashable>: Sendable, Codable, Equatable {
    /// Both generations, oldest first: the previous one is `ids[..<currentStart]`.
    private var ids: [ID] = []
    private var currentStart = 0
    /// Open addressing with linear probing: 0 is an empty slot, `i + 1` holds `ids[i]`. At least twice as many slots
    /// as ids ever held, so probes stay short.
    private var slots: [Int32]
    /// The shift that takes an id's mixed hash to a slot: 64 less log2 of the slot count.
    private let shift: Int
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        var count = 8
        while count < 4 * self.capacity { count *= 2 }
        slots = Array(repeating: 0, count: count)
        shift = 64 - count.trailingZeroBitCount
    }

    /// Where the search for `id` starts.
    private func place(of id: ID) -> Int {
        // Fibonacci hashing: the high bits of the product depend on every bit of the hash.
        Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: id.tableHash) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// The slot holding `id`, or the empty slot where it would go.
    private func slot(of id: ID, from place: Int) -> (index: Int, found: Bool) {
        let mask = slots.count - 1
        var index = place
        while true {
            let entry = Int(slots[index])
            if entry == 0 { return (index, false) }
            if ids[entry - 1] == id { return (index, true) }
            index = (index + 1) & mask
        }
    }

    public func contains(_ id: ID) -> Bool { slot(of: id, from: place(of: id)).found }

    /// Remembers `id`; false when it is remembered already.
    @discardableResult
    public mutating func insert(_ id: ID) -> Bool {
        let place = place(of: id)
        let (index, found) = slot(of: id, from: place)
        guard !found else { return false }
        ids.append(id)
        slots[index] = Int32(ids.count)
        if ids.count - currentStart >= capacity { turnOver() }
        return true
    }

    /// The current generation becomes the previous one; the one before is forgotten.
    private mutating func turnOver() {
        ids.removeFirst(currentStart)
        currentStart = ids.count
        rebuild()
    }

    /// Places every id in `ids` again, each in the first free slot from its place: no id is compared, as the ids
    /// differ (a decoded list could repeat one; found twice, it is still found).
    private mutating func rebuild() {
        let places = ids.map(place(of:))
        slots.withUnsafeMutableBufferPointer { slots in
            slots.update(repeating: 0)
            let mask = slots.count - 1
            for (offset, place) in places.enumerated() {
                var index = place
                while slots[index] != 0 { index = (index + 1) & mask }
                slots[index] = Int32(offset + 1)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case order
        case capacity
    }

    static var largestCapacity: Int { 1 << 20 }

    /// Oldest first; a saved set comes back as one full generation of its newest ids.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let capacity = try container.decode(Int.self, forKey: .capacity)
        // The table is sized by the capacity: a corrupt one must not ask for all the memory there is.
        guard capacity <= Self.largestCapacity else {
            throw DecodingError.dataCorruptedError(forKey: .capacity, in: container,
                                                   debugDescription: "\(capacity) is more than \(Self.largestCapacity)")
        }
        self.init(capacity: capacity)
        // The capacity as kept (at least one), not as saved: a suffix of a negative length would trap.
        ids = Array(try container.decode([ID].self, forKey: .order).suffix(self.capacity))
        currentStart = ids.count
        rebuild()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(ids, forKey: .order)
    }
}

extension RecentIDs {
    /// The same ids, kept the same way (the table's slots follow from them).
    public static func == (lhs: RecentIDs, rhs: RecentIDs) -> Bool {
        lhs.capacity == rhs.capacity && lhs.currentStart == rhs.currentStart && lhs.ids == rhs.ids
    }
}

/// An id `RecentIDs` can keep: hashable, with a hash of its own for the table to mix (equal ids, equal hashes).
public protocol TableHashable: Hashable, Sendable, Codable {
    var tableHash: Int { get }
}

extension ClientOrderID: TableHashable {}
extension TradeID: TableHashable {}
