/// Bollinger bands around an SMA with the population standard deviation, as TA-Lib's `BBANDS` with an SMA.
public struct BollingerBands: Sendable {
    public let period: Int
    public let deviations: Double
    private var middleAverage: SimpleMovingAverage
    private var squares: RingBuffer
    /// Sum of the squares of the newest `period - 1` inputs.
    private var partialSquares = 0.0
    public private(set) var upper = Double.nan
    public private(set) var middle = Double.nan
    public private(set) var lower = Double.nan

    public init(period: Int = 20, deviations: Double = 2) {
        self.period = period
        self.deviations = deviations
        middleAverage = SimpleMovingAverage(period: period)
        squares = RingBuffer(capacity: period)
    }

    public var isReady: Bool { middleAverage.isReady }

    /// (upper - lower) / middle: the original bot's volatility measure.
    public var width: Double { (upper - lower) / middle }

    @inline(__always)
    public mutating func update(_ x: Double) {
        let mean = middleAverage.update(x)
        let square = x * x
        if squares.count < period - 1 {
            partialSquares += square
            squares.push(square)
            return
        }
        let total = partialSquares + square
        var variance = total / Double(period)
        squares.push(square)
        partialSquares = total - squares.oldest
        variance -= mean * mean
        let deviation = variance < taLibEpsilon ? 0 : variance.squareRoot()
        let offset = deviation * deviations
        middle = mean
        upper = mean + offset
        lower = mean - offset
    }
}

/// Average true range with Wilder's smoothing, as TA-Lib's `ATR`: the first value is the mean of the first
/// `period` true ranges (which start at the second bar).
public struct AverageTrueRange: Sendable {
    public let period: Int
    private var previousClose = Double.nan
    private var seedSum = 0.0
    private var ranges = 0
    public private(set) var value = Double.nan

    public init(period: Int = 14) {
        precondition(period > 0, "ATR period must be at least 1")
        self.period = period
    }

    public var isReady: Bool { ranges >= period }

    @discardableResult
    @inline(__always)
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        defer { previousClose = close }
        guard !previousClose.isNaN else { return .nan }
        var trueRange = high - low
        let fromHigh = (previousClose - high).magnitude
        if fromHigh > trueRange { trueRange = fromHigh }
        let fromLow = (previousClose - low).magnitude
        if fromLow > trueRange { trueRange = fromLow }
        ranges += 1
        if ranges < period {
            seedSum += trueRange
            return .nan
        }
        if ranges == period {
            value = (seedSum + trueRange) / Double(period)
        } else {
            value = (value * Double(period - 1) + trueRange) / Double(period)
        }
        return value
    }
}

/// VWAP of the typical price over a rolling window of bars.
///
/// The running sums are rebuilt from the window every `period` updates, so rounding error cannot build up over a
/// long stream; the cost stays O(1) per update on average.
public struct RollingVWAP: Sendable {
    public let period: Int
    private var priceVolume: RingBuffer
    private var volumes: RingBuffer
    private var sumPriceVolume = 0.0
    private var sumVolume = 0.0
    private var sinceRebuild = 0
    public private(set) var value = Double.nan

    public init(period: Int = 50) {
        precondition(period > 0, "VWAP period must be at least 1")
        self.period = period
        priceVolume = RingBuffer(capacity: period)
        volumes = RingBuffer(capacity: period)
    }

    public var isReady: Bool { volumes.isFull }

    @inline(__always)
    public mutating func update(typicalPrice: Double, volume: Double) {
        if volumes.isFull {
            sumPriceVolume -= priceVolume.oldest
            sumVolume -= volumes.oldest
        }
        let weighted = typicalPrice * volume
        priceVolume.push(weighted)
        volumes.push(volume)
        sumPriceVolume += weighted
        sumVolume += volume
        sinceRebuild += 1
        if sinceRebuild >= period {
            sinceRebuild = 0
            sumPriceVolume = 0
            sumVolume = 0
            for age in 0..<volumes.count {
                sumPriceVolume += priceVolume[back: age]
                sumVolume += volumes[back: age]
            }
        }
        guard volumes.isFull else { return }
        value = sumVolume > 0 ? sumPriceVolume / sumVolume : typicalPrice
    }
}
