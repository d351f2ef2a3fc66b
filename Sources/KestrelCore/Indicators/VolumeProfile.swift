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
    public init?(closes: some Collection<Double>, volumes: some Collection<Double>, close: Double,
                 bins: Int = VolumeProfile.defaultBins) {
        guard closes.count >= 2, closes.count == volumes.count, bins >= 3,
              let low = closes.min(), let high = closes.max(), high > low else { return nil }
        var histogram = [Double](repeating: 0, count: bins)
        let width = (high - low) / Double(bins)
        for (price, volume) in zip(closes, volumes) {
            let index = min(bins - 1, Int((price - low) / width))
            histogram[index] += volume
        }
        func center(_ index: Int) -> Double { low + (Double(index) + 0.5) * width }
        var busiest = 0
        for i in 1..<bins where histogram[i] > histogram[busiest] { busiest = i }
        var peaks = [Int]()
        for i in 1..<(bins - 1) where histogram[i] > histogram[i - 1] && histogram[i] > histogram[i + 1] {
            peaks.append(i)
        }
        peaks.sort { histogram[$0] > histogram[$1] }
        var levels = Set(peaks.prefix(3))
        levels.insert(busiest)
        let prices = levels.map(center)
        pointOfControl = center(busiest)
        supports = prices.filter { $0 < close }.sorted(by: >)
        resistances = prices.filter { $0 > close }.sorted()
    }
}
