/// TA-Lib treats magnitudes below 1e-8 as zero in RSI and standard deviation.
let taLibEpsilon = 0.00000001

/// Relative strength index with Wilder's smoothing, as TA-Lib's `RSI` (0 when the price has not moved at all).
public struct RelativeStrengthIndex: Sendable {
    public let period: Int
    private var previous = Double.nan
    private var averageGain = 0.0
    private var averageLoss = 0.0
    private var seen = 0
    public private(set) var value = Double.nan

    public init(period: Int = 14) {
        precondition(period > 1, "RSI period must be at least 2")
        self.period = period
    }

    public var isReady: Bool { seen > period }

    @discardableResult
    @inline(__always)
    public mutating func update(_ x: Double) -> Double {
        seen += 1
        guard seen > 1 else {
            previous = x
            return .nan
        }
        let change = x - previous
        previous = x
        let n = Double(period)
        if seen <= period + 1 {
            if change < 0 { averageLoss -= change } else { averageGain += change }
            guard seen == period + 1 else { return .nan }
            averageLoss /= n
            averageGain /= n
        } else {
            averageLoss *= n - 1
            averageGain *= n - 1
            if change < 0 { averageLoss -= change } else { averageGain += change }
            averageLoss /= n
            averageGain /= n
        }
        let total = averageGain + averageLoss
        value = (total > -taLibEpsilon && total < taLibEpsilon) ? 0 : 100 * (averageGain / total)
        return value
    }
}

/// Fast stochastic %K over `kPeriod` bars and %D = SMA of %K over `dPeriod`, as TA-Lib's `STOCHF` with an SMA %D:
/// both start when %D is ready, and %K is 0 when the range is flat.
public struct FastStochastic: Sendable {
    public let kPeriod: Int
    public let dPeriod: Int
    private var highest: RollingExtremum
    private var lowest: RollingExtremum
    private var dAverage: SimpleMovingAverage
    private var seen = 0
    public private(set) var k = Double.nan
    public private(set) var d = Double.nan

    public init(kPeriod: Int = 14, dPeriod: Int = 3) {
        self.kPeriod = kPeriod
        self.dPeriod = dPeriod
        highest = RollingExtremum(period: kPeriod, kind: .maximum)
        lowest = RollingExtremum(period: kPeriod, kind: .minimum)
        dAverage = SimpleMovingAverage(period: dPeriod)
    }

    public var isReady: Bool { dAverage.isReady }

    @inline(__always)
    public mutating func update(high: Double, low: Double, close: Double) {
        seen += 1
        highest.update(high)
        lowest.update(low)
        guard seen >= kPeriod else { return }
        let lowestLow = lowest.value
        let range = (highest.value - lowestLow) / 100.0
        let rawK = range != 0 ? (close - lowestLow) / range : 0
        dAverage.update(rawK)
        if dAverage.isReady {
            k = rawK
            d = dAverage.value
        }
    }
}

/// Rate of change in percent over `period` bars, as TA-Lib's `ROC`, and the same change as a fraction
/// (`momentum`, the original bot's 10-bar momentum).
public struct RateOfChange: Sendable {
    public let period: Int
    private var window: RingBuffer
    public private(set) var percent = Double.nan
    public private(set) var fraction = Double.nan

    public init(period: Int = 10) {
        precondition(period > 0, "ROC period must be at least 1")
        self.period = period
        window = RingBuffer(capacity: period + 1)
    }

    public var isReady: Bool { window.isFull }

    /// Returns the rate of change in percent.
    @discardableResult
    @inline(__always)
    public mutating func update(_ x: Double) -> Double {
        window.push(x)
        guard window.isFull else { return .nan }
        let past = window.oldest
        if past != 0 {
            percent = ((x / past) - 1.0) * 100.0
            fraction = x / past - 1
        } else {
            percent = 0
            fraction = 0
        }
        return percent
    }
}
