/// Support and resistance levels from where volume traded over recent bars.
///
/// The last `bars` closes are binned into `bins` equal price bins between their lowest and highest close, each
/// weighted by its bar's volume. The point of control (the busiest bin) and the three strongest local maxima are the
/// levels; those below the close are supports (nearest first), those above are resistances (nearest first).
public struct VolumeProfile: Sendable, Equatable {
    public var pointOfControl: Double
    public var supports: [Double]
    public var resistances: [Double]

    public static let defaultBars = 50
    public static let defaultBins = 19

    /// `closes` and `volumes` are oldest first and of equal length; returns nil for fewer than two bars or a flat
    /// price (no range to bin).
    public init?(closes: [Double], volumes: [Double], close: Double, bins: Int = VolumeProfile.defaultBins) {
        guard closes.count == volumes.count else { return nil }
        guard let profile = closes.withUnsafeBufferPointer({ closes in
            volumes.withUnsafeBufferPointer { volumes in
                VolumeProfile(closes: closes, volumes: volumes, close: close, bins: bins)
            }
        }) else { return nil }
        self = profile
    }

    /// The same from contiguous memory, which the scan's hot path reads without allocating.
    init?(closes: UnsafeBufferPointer<Double>, volumes: UnsafeBufferPointer<Double>, close: Double,
          bins: Int = VolumeProfile.defaultBins) {
        let count = closes.count
        guard count >= 2, bins >= 3, volumes.count == count else { return nil }
        var low = Double.infinity
        var high = -Double.infinity
        for price in closes {
            low = min(low, price)
            high = max(high, price)
        }
        guard high > low else { return nil }
        let width = (high - low) / Double(bins)
        // The busiest bin and the three strongest local maxima (strongest first; -1: none).
        let (busiest, peaks) = withUnsafeTemporaryAllocation(of: Double.self, capacity: bins) {
            histogram -> (Int, (Int, Int, Int)) in
            histogram.initialize(repeating: 0)
            for i in 0..<count {
                histogram[min(bins - 1, Int((closes[i] - low) / width))] += volumes[i]
            }
            var busiest = 0
            for i in 1..<bins where histogram[i] > histogram[busiest] { busiest = i }
            var peaks = (-1, -1, -1)
            for i in 1..<(bins - 1) where histogram[i] > histogram[i - 1] && histogram[i] > histogram[i + 1] {
                // Insertion into a list of at most three: a peak goes before the first weaker one.
                if peaks.0 < 0 || histogram[i] > histogram[peaks.0] {
                    peaks = (i, peaks.0, peaks.1)
                } else if peaks.1 < 0 || histogram[i] > histogram[peaks.1] {
                    peaks = (peaks.0, i, peaks.1)
                } else if peaks.2 < 0 || histogram[i] > histogram[peaks.2] {
                    peaks.2 = i
                }
            }
            return (busiest, peaks)
        }
        func center(_ index: Int) -> Double { low + (Double(index) + 0.5) * width }
        pointOfControl = center(busiest)
        supports = []
        resistances = []
        func place(_ index: Int) {
            guard index >= 0 else { return }
            let price = center(index)
            if price < close { supports.append(price) } else if price > close { resistances.append(price) }
        }
        place(peaks.0)
        place(peaks.1)
        place(peaks.2)
        if busiest != peaks.0, busiest != peaks.1, busiest != peaks.2 { place(busiest) }
        supports.sort(by: >)
        resistances.sort()
    }
}
