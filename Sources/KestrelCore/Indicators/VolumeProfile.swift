/// Support and resistance levels from where volume traded over recent bars.
///
/// The last `bars` closes are binned into `bins` equal price bins between their lowest and highest close, each
/// weighted by its bar's volume. The point of control (the busiest bin) and the three strongest local maxima are the
/// levels; those below the close are supports (nearest first), those above are resistances (nearest first).
///
/// A profile is worked out at every scan of every symbol: its at most four levels are held inline (a `SIMD4`, which
/// every platform Kestrel builds for has), not in arrays, so making one allocates nothing.
public struct VolumeProfile: Sendable, Equatable {
    public var pointOfControl: Double
    /// The levels, lowest first: `levels[0..<levelCount]`.
    private var levels = SIMD4<Double>(repeating: 0)
    private var levelCount = 0
    /// How many levels lie below the close (the supports); the rest lie above it.
    private var supportCount = 0

    /// The support nearest the close (the highest level below it).
    public var nearestSupport: Double? { supportCount > 0 ? levels[supportCount - 1] : nil }
    /// The resistance nearest the close (the lowest level above it).
    public var nearestResistance: Double? { supportCount < levelCount ? levels[supportCount] : nil }
    /// Levels below the close, nearest first.
    public var supports: [Double] { (0..<supportCount).reversed().map { levels[$0] } }
    /// Levels above the close, nearest first.
    public var resistances: [Double] { (supportCount..<levelCount).map { levels[$0] } }

    public static func == (lhs: VolumeProfile, rhs: VolumeProfile) -> Bool {
        lhs.pointOfControl == rhs.pointOfControl && lhs.supports == rhs.supports && lhs.resistances == rhs.resistances
    }

    public static let defaultBars = 50
    public static let defaultBins = 19

    /// `closes` and `volumes` are oldest first and of equal length; returns nil for fewer than two bars or a flat
    /// price (no range to bin).
    public init?(closes: [Double], volumes: [Double], close: Double, bins: Int = VolumeProfile.defaultBins) {
        self.init(closes: closes[...], volumes: volumes[...], close: close, bins: bins)
    }

    /// The same from parts of longer arrays (a window sliding over a series), read where they lie.
    public init?(closes: ArraySlice<Double>, volumes: ArraySlice<Double>, close: Double,
                 bins: Int = VolumeProfile.defaultBins) {
        guard closes.count == volumes.count else { return nil }
        let none = UnsafeBufferPointer<Double>(start: nil, count: 0)
        guard let profile = closes.withUnsafeBufferPointer({ closes in
            volumes.withUnsafeBufferPointer { volumes in
                VolumeProfile(older: (closes, volumes), newer: (none, none), close: close, bins: bins)
            }
        }) else { return nil }
        self = profile
    }

    /// The same from a window held in two runs, the older first: a ring buffer's storage, read where it lies
    /// (the scan's hot path, which copies nothing).
    init?(older: (closes: UnsafeBufferPointer<Double>, volumes: UnsafeBufferPointer<Double>),
          newer: (closes: UnsafeBufferPointer<Double>, volumes: UnsafeBufferPointer<Double>), close: Double,
          bins: Int = VolumeProfile.defaultBins) {
        let count = older.closes.count + newer.closes.count
        guard count >= 2, bins >= 3, older.volumes.count == older.closes.count,
              newer.volumes.count == newer.closes.count else { return nil }
        // Two running extremes of each kind, so that each comparison waits on the one two closes back, not on the
        // one just before.
        var low0 = Double.infinity, low1 = Double.infinity
        var high0 = -Double.infinity, high1 = -Double.infinity
        func scan(_ closes: UnsafeBufferPointer<Double>) {
            var i = 0
            while i + 2 <= closes.count {
                low0 = min(low0, closes[i])
                high0 = max(high0, closes[i])
                low1 = min(low1, closes[i + 1])
                high1 = max(high1, closes[i + 1])
                i += 2
            }
            if i < closes.count {
                low0 = min(low0, closes[i])
                high0 = max(high0, closes[i])
            }
        }
        scan(older.closes)
        scan(newer.closes)
        let low = min(low0, low1)
        let high = max(high0, high1)
        guard high > low else { return nil }
        let width = (high - low) / Double(bins)
        self = withUnsafeTemporaryAllocation(of: Double.self, capacity: bins) { histogram in
            histogram.initialize(repeating: 0)
            // Oldest first, so every bin sums its volumes in the same order however the window is held.
            func add(_ closes: UnsafeBufferPointer<Double>, _ volumes: UnsafeBufferPointer<Double>) {
                for i in 0..<closes.count { histogram[min(bins - 1, Int((closes[i] - low) / width))] += volumes[i] }
            }
            add(older.closes, older.volumes)
            add(newer.closes, newer.volumes)
            return VolumeProfile(histogram: UnsafeBufferPointer(histogram), low: low, width: width, close: close)
        }
    }

    /// The levels of the volume summed in each bin of `width` from `low` (at least three bins), at `close`.
    init(histogram: UnsafeBufferPointer<Double>, low: Double, width: Double, close: Double) {
        let bins = histogram.count
        // One pass finds the busiest bin and gathers the local maxima; the three strongest of those are then
        // ranked. Selections rather than branches throughout: which bin wins is as good as random, and a
        // mispredicted branch costs more than both sides of a selection.
        let (busiest, peaks) = withUnsafeTemporaryAllocation(of: Int.self, capacity: bins) {
            found -> (Int, (Int, Int, Int)) in
            var busiest = 0
            var most = histogram[0]
            var count = 0
            for i in 1..<(bins - 1) {
                let volume = histogram[i]
                let more = volume > most
                busiest = more ? i : busiest
                most = more ? volume : most
                found[count] = i
                count += (volume > histogram[i - 1] ? 1 : 0) & (volume > histogram[i + 1] ? 1 : 0)
            }
            if histogram[bins - 1] > most { busiest = bins - 1 }
            // The strongest first (-1: none); a peak goes before the first weaker one, so of equals the lower bin
            // leads. An empty place holds minus infinity, which any peak beats.
            var (first, second, third) = (-1, -1, -1)
            var (firstVolume, secondVolume, thirdVolume) = (-Double.infinity, -Double.infinity, -Double.infinity)
            for i in found[..<count] {
                let volume = histogram[i]
                let beatsFirst = volume > firstVolume, beatsSecond = volume > secondVolume
                let beatsThird = volume > thirdVolume
                third = beatsSecond ? second : beatsThird ? i : third
                thirdVolume = beatsSecond ? secondVolume : beatsThird ? volume : thirdVolume
                second = beatsFirst ? first : beatsSecond ? i : second
                secondVolume = beatsFirst ? firstVolume : beatsSecond ? volume : secondVolume
                first = beatsFirst ? i : first
                firstVolume = beatsFirst ? volume : firstVolume
            }
            return (busiest, (first, second, third))
        }
        func center(_ index: Int) -> Double { low + (Double(index) + 0.5) * width }
        pointOfControl = center(busiest)
        // The levels' bins, each once (-1: none), put in ascending order: a center rises with its bin, so the
        // levels come out in price order and are written in turn, with nothing moved.
        var (a, b, c) = peaks
        var d = busiest != a && busiest != b && busiest != c ? busiest : -1
        (a, b) = (min(a, b), max(a, b))
        (c, d) = (min(c, d), max(c, d))
        (a, c) = (min(a, c), max(a, c))
        (b, d) = (min(b, d), max(b, d))
        (b, c) = (min(b, c), max(b, c))
        // Levels at the close itself are neither support nor resistance. Written to scalars and stored as a vector
        // once: a lane of `levels` written at a varying index is a store and a reload of the whole vector.
        var placed = (0.0, 0.0, 0.0, 0.0)
        var count = 0, below = 0
        withUnsafeMutableBytes(of: &placed) { bytes in
            let placed = bytes.bindMemory(to: Double.self)
            func place(_ index: Int) {
                guard index >= 0 else { return }
                let price = center(index)
                guard price != close else { return }
                placed[count] = price
                count += 1
                if price < close { below += 1 }
            }
            place(a)
            place(b)
            place(c)
            place(d)
        }
        levels = SIMD4(placed.0, placed.1, placed.2, placed.3)
        levelCount = count
        supportCount = below
    }
}
