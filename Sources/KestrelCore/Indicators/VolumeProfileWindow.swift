/// The last bars' closes and volumes, and the bin of each close in the window's current price range, kept as bars
/// arrive: a volume profile of the window is then a sum over bins already known, not a division per bar.
///
/// A close's bin depends only on the lowest and highest close of the window. Those move at few bars (when an extreme
/// arrives or leaves): only then are all the bins worked out again; any other bar works out its own. The bins and
/// their sums are the ones `VolumeProfile` works out from the closes themselves, in the same order, so the profile
/// is the same to the last bit.
///
/// Keeping the bins pays only where profiles are read bar after bar (a symbol evaluated at every scan, as a backtest
/// does); elsewhere (a confirming timeframe, a symbol evaluated once) it is work for nothing. So a window starts
/// without them, working its profile out from the closes when asked as `VolumeProfile` does, and keeps them from
/// `keepBins()` on.
struct VolumeProfileWindow: Sendable {
    let capacity: Int
    let bins: Int
    /// Whether the bins (and the range they need) are kept as bars arrive.
    private(set) var keepsBins = false
    /// Three rings in one allocation, so that a strategy's view of the window retains one buffer: the closes in
    /// `0..<capacity`, the volumes next, then the bin of each close for the range `binnedLow...binnedHigh`, held as
    /// the bit pattern of the whole number (read back as it was written, never used as a `Double`).
    private var storage: [Double]
    /// The next slot to write; the oldest bar's once the window is full.
    private var head = 0
    private(set) var count = 0
    /// The lowest and highest close in the window; pushes since each arrived (the newest of equal closes).
    private var low = Double.infinity, high = -Double.infinity
    private var lowAge = 0, highAge = 0
    /// The range the stored bins were worked out for.
    private var binnedLow = Double.nan, binnedHigh = Double.nan
    /// The newest close.
    private(set) var close = Double.nan

    init(capacity: Int = VolumeProfile.defaultBars, bins: Int = VolumeProfile.defaultBins) {
        precondition(capacity > 0 && bins >= 3, "a volume profile window holds a bar and bins at least three")
        self.capacity = capacity
        self.bins = bins
        storage = [Double](repeating: 0, count: 3 * capacity)
    }

    /// Keeps the bins from now on: the range and every bin are worked out once, then kept as bars arrive.
    mutating func keepBins() {
        guard !keepsBins else { return }
        keepsBins = true
        (low, lowAge) = newestExtreme(isBetter: <, start: .infinity)
        (high, highAge) = newestExtreme(isBetter: >, start: -.infinity)
        binAll()
    }

    /// Adds a bar, evicting the oldest once the window is full. Inlined into every indicator update; the upkeep of
    /// the bins is not.
    @inline(__always)
    mutating func push(close: Double, volume: Double) {
        let slot = head
        storage[slot] = close
        storage[capacity + slot] = volume
        head = slot + 1 == capacity ? 0 : slot + 1
        if count < capacity { count += 1 }
        self.close = close
        if keepsBins { keepBins(afterPushing: close, at: slot) }
    }

    /// The range and the bins after `close` was written to `slot`.
    private mutating func keepBins(afterPushing close: Double, at slot: Int) {
        lowAge += 1
        highAge += 1
        // `<=` and `>=`: of equal closes the newest is kept, as it leaves last. A NaN is never an extreme, as
        // `min` and `max` pass it over in `VolumeProfile`.
        if close <= low {
            low = close
            lowAge = 0
        } else if lowAge >= capacity {
            (low, lowAge) = newestExtreme(isBetter: <, start: .infinity)
        }
        if close >= high {
            high = close
            highAge = 0
        } else if highAge >= capacity {
            (high, highAge) = newestExtreme(isBetter: >, start: -.infinity)
        }
        if high > low, low == binnedLow, high == binnedHigh {
            storage[2 * capacity + slot] = bin(close, low: low, width: (high - low) / Double(bins))
        } else {
            binAll()
        }
    }

    /// Works every bin out for the current range.
    private mutating func binAll() {
        guard high > low else {
            // No bins for a flat window: the bars pushed now have none worked out, whatever range comes next.
            binnedLow = .nan
            return
        }
        let width = (high - low) / Double(bins)
        binnedLow = low
        binnedHigh = high
        for slot in 0..<count { storage[2 * capacity + slot] = bin(storage[slot], low: low, width: width) }
    }

    /// The bin of `close`, as stored.
    @inline(__always)
    private func bin(_ close: Double, low: Double, width: Double) -> Double {
        Double(bitPattern: UInt64(min(bins - 1, Int((close - low) / width))))
    }

    /// The extreme close in the window and its age, the newest of equals.
    private func newestExtreme(isBetter: (Double, Double) -> Bool, start: Double) -> (Double, Int) {
        var extreme = start
        var extremeAge = 0
        var slot = head
        for age in 0..<count {
            slot = slot == 0 ? capacity - 1 : slot - 1
            if isBetter(storage[slot], extreme) {
                extreme = storage[slot]
                extremeAge = age
            }
        }
        return (extreme, extremeAge)
    }

    /// The profile of the window at its newest close: nil for fewer than two bars or a flat price.
    var profile: VolumeProfile? {
        guard keepsBins else { return profileFromCloses }
        guard count >= 2, high > low else { return nil }
        let width = (high - low) / Double(bins)
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: bins) { histogram in
            histogram.initialize(repeating: 0)
            storage.withUnsafeBufferPointer { storage in
                // Oldest first, as `VolumeProfile` sums them.
                func add(_ slots: Range<Int>) {
                    for slot in slots {
                        let bin = Int(truncatingIfNeeded: storage[2 * capacity + slot].bitPattern)
                        histogram[bin] += storage[capacity + slot]
                    }
                }
                if count == capacity {
                    add(head..<capacity)
                    add(0..<head)
                } else {
                    add(0..<count)
                }
            }
            return VolumeProfile(histogram: UnsafeBufferPointer(histogram), low: low, width: width, close: close)
        }
    }

    /// The profile worked out from the closes and volumes, oldest first, as they lie in the rings.
    private var profileFromCloses: VolumeProfile? {
        storage.withUnsafeBufferPointer { storage in
            let closes = UnsafeBufferPointer(rebasing: storage[0..<capacity])
            let volumes = UnsafeBufferPointer(rebasing: storage[capacity..<(2 * capacity)])
            func run(_ values: UnsafeBufferPointer<Double>, _ range: Range<Int>) -> UnsafeBufferPointer<Double> {
                UnsafeBufferPointer(rebasing: values[range])
            }
            let older = count == capacity ? head..<capacity : 0..<count
            let newer = count == capacity ? 0..<head : 0..<0
            return VolumeProfile(older: (run(closes, older), run(volumes, older)),
                                 newer: (run(closes, newer), run(volumes, newer)), close: close, bins: bins)
        }
    }
}
