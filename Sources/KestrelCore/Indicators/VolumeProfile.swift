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
        self.init(count: closes.count, close: close, bins: bins) { (closes[$0], volumes[$0]) }
    }

    /// The same from any storage: `bar(i)` gives the close and volume of the i-th bar.
    init?(count: Int, close: Double, bins: Int = VolumeProfile.defaultBins, bar: (Int) -> (Double, Double)) {
        guard count >= 2, bins >= 3 else { return nil }
        var low = Double.infinity
        var high = -Double.infinity
        for i in 0..<count {
            let price = bar(i).0
            low = min(low, price)
            high = max(high, price)
        }
        guard high > low else { return nil }
        let width = (high - low) / Double(bins)
        let (busiest, peaks) = withUnsafeTemporaryAllocation(of: Double.self, capacity: bins) {
            histogram -> (Int, [Int]) in
            histogram.initialize(repeating: 0)
            for i in 0..<count {
                let (price, volume) = bar(i)
                histogram[min(bins - 1, Int((price - low) / width))] += volume
            }
            var busiest = 0
            for i in 1..<bins where histogram[i] > histogram[busiest] { busiest = i }
            // The three strongest local maxima, strongest first (insertion into a list of at most three).
            var peaks = [Int]()
            peaks.reserveCapacity(4)
            for i in 1..<(bins - 1) where histogram[i] > histogram[i - 1] && histogram[i] > histogram[i + 1] {
                let position = peaks.firstIndex { histogram[i] > histogram[$0] } ?? peaks.count
                if position < 3 {
                    peaks.insert(i, at: position)
                    if peaks.count > 3 { peaks.removeLast() }
                }
            }
            return (busiest, peaks)
        }
        func center(_ index: Int) -> Double { low + (Double(index) + 0.5) * width }
        pointOfControl = center(busiest)
        supports = []
        resistances = []
        for index in peaks.contains(busiest) ? peaks : peaks + [busiest] {
            let price = center(index)
            if price < close { supports.append(price) } else if price > close { resistances.append(price) }
        }
        supports.sort(by: >)
        resistances.sort()
    }
}
