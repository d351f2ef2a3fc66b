/// A fixed-capacity window of the most recent values, oldest first.
///
/// Indicators keep exactly the history their formula needs here, so one update costs O(1) and memory does not grow
/// with the length of the series.
public struct RingBuffer: Sendable {
    var storage: [Double]
    var head = 0  // index of the oldest value once full; next write position
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer holds at least one value")
        self.capacity = capacity
        storage = [Double](repeating: 0, count: capacity)
    }

    public var isFull: Bool { count == capacity }

    /// Appends a value, evicting the oldest when full.
    public mutating func push(_ value: Double) {
        storage[head] = value
        head += 1
        if head == capacity { head = 0 }
        if count < capacity { count += 1 }
    }

    /// The oldest value held (the next to be evicted once full).
    public var oldest: Double { storage[count == capacity ? head : 0] }

    /// The value `age` pushes ago: `self[back: 0]` is the newest.
    public subscript(back age: Int) -> Double {
        var index = head - 1 - age
        if index < 0 { index += capacity }
        return storage[index]
    }

    /// Values oldest first.
    public var values: [Double] {
        guard count == capacity else { return Array(storage[0..<count]) }
        return Array(storage[head...]) + Array(storage[..<head])
    }
}

/// The maximum (or minimum) of the last `period` values in amortised O(1), with a monotonic deque.
public struct RollingExtremum: Sendable {
    public enum Kind: Sendable {
        case maximum
        case minimum
    }

    public let period: Int
    public let kind: Kind
    var indices: [Int]
    var values: [Double]
    var front = 0
    var length = 0
    var seen = 0

    public init(period: Int, kind: Kind) {
        precondition(period > 0, "a rolling extremum needs a period of at least one")
        self.period = period
        self.kind = kind
        indices = [Int](repeating: 0, count: period + 1)
        values = [Double](repeating: 0, count: period + 1)
    }

    /// Whether `period` values have been seen.
    public var isReady: Bool { seen >= period }

    /// The extremum of the window, or NaN before any value.
    public var value: Double { length == 0 ? .nan : values[front] }

    public mutating func update(_ x: Double) {
        let capacity = period + 1
        // Drop values the new one dominates, from the back.
        while length > 0 {
            var back = front + length - 1
            if back >= capacity { back -= capacity }
            let dominated = kind == .maximum ? values[back] <= x : values[back] >= x
            guard dominated else { break }
            length -= 1
        }
        var slot = front + length
        if slot >= capacity { slot -= capacity }
        indices[slot] = seen
        values[slot] = x
        length += 1
        seen += 1
        // Drop the front once it has left the window.
        if indices[front] <= seen - 1 - period {
            front += 1
            if front == capacity { front = 0 }
            length -= 1
        }
    }
}
