/// A fixed-capacity window of the most recent values, oldest first.
///
/// Indicators keep exactly the history their formula needs here, so one update costs O(1) and memory does not grow
/// with the length of the series.
public struct RingBuffer: Sendable {
    private var storage: [Double]
    private var head = 0  // index of the oldest value once full; next write position
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer holds at least one value")
        self.capacity = capacity
        storage = [Double](repeating: 0, count: capacity)
    }

    public var isFull: Bool { count == capacity }

    /// Appends a value, evicting the oldest when full.
    @inline(__always)
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

    /// Calls `body` with the values, oldest first, as they lie in the storage: the older run, then the newer one
    /// (empty until the buffer has wrapped). No copy is made.
    func withChronologicalRuns<Result>(
        _ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>) throws -> Result
    ) rethrows -> Result {
        try storage.withUnsafeBufferPointer { source in
            guard count == capacity else {
                return try body(UnsafeBufferPointer(rebasing: source[0..<count]), UnsafeBufferPointer(rebasing: source[0..<0]))
            }
            return try body(UnsafeBufferPointer(rebasing: source[head...]), UnsafeBufferPointer(rebasing: source[..<head]))
        }
    }

    /// Values oldest first.
    public var values: [Double] {
        guard count == capacity else { return Array(storage[0..<count]) }
        return Array(storage[head...]) + Array(storage[..<head])
    }
}

/// The maximum (or minimum) of the last `period` values, as TA-Lib tracks it: remember the extreme and how long
/// ago it arrived, and rescan the window only when it leaves. O(1) on average; a rescan costs O(period).
public struct RollingExtremum: Sendable {
    public enum Kind: Sendable {
        case maximum
        case minimum
    }

    public let period: Int
    public let kind: Kind
    private var window: RingBuffer
    private var extreme = Double.nan
    /// Pushes since the extreme arrived (0: the newest value).
    private var extremeAge = 0

    public init(period: Int, kind: Kind) {
        precondition(period > 0, "a rolling extremum needs a period of at least one")
        self.period = period
        self.kind = kind
        window = RingBuffer(capacity: period)
    }

    /// Whether `period` values have been seen.
    public var isReady: Bool { window.isFull }

    /// The extremum of the window, or NaN before any value.
    public var value: Double { extreme }

    @inline(__always)
    public mutating func update(_ x: Double) {
        window.push(x)
        extremeAge += 1
        let atLeastAsExtreme = kind == .maximum ? x >= extreme : x <= extreme
        if atLeastAsExtreme || extreme.isNaN {
            extreme = x
            extremeAge = 0
        } else if extremeAge >= period {
            // The extreme left the window: find the new one, the newest of equals so it stays longest.
            let isMaximum = kind == .maximum
            (extreme, extremeAge) = window.withChronologicalRuns { older, newer in
                isMaximum ? Self.newestExtreme(older, newer, isBetter: >) : Self.newestExtreme(older, newer, isBetter: <)
            }
        }
    }

    /// The extreme of the values held in two runs (the older first) and its age, the newest of equals; read where
    /// the values lie, newest first, instead of working each value's place in the ring out again.
    @inline(__always)
    private static func newestExtreme(_ older: UnsafeBufferPointer<Double>, _ newer: UnsafeBufferPointer<Double>,
                                      isBetter: (Double, Double) -> Bool) -> (Double, Int) {
        // The newest value is the last of the newer run, or of the older one before the ring has wrapped.
        var extreme = newer.last ?? older[older.count - 1]
        var extremeAge = 0
        var age = 0
        func scan(_ run: UnsafeBufferPointer<Double>) {
            var index = run.count
            while index > 0 {
                index -= 1
                if isBetter(run[index], extreme) {
                    extreme = run[index]
                    extremeAge = age
                }
                age += 1
            }
        }
        scan(newer)
        scan(older)
        return (extreme, extremeAge)
    }
}
