/// Simple moving average, computed as TA-Lib's `SMA` does (a running total of the window).
///
/// Every indicator here returns NaN while it warms up, the way TA-Lib leaves its output empty; `isReady` says when
/// values start.
public struct SimpleMovingAverage: Sendable {
    public let period: Int
    private var window: RingBuffer
    /// Sum of the newest `period - 1` inputs: the window total minus the value that leaves next.
    private var partialSum = 0.0
    public private(set) var value = Double.nan

    public init(period: Int) {
        precondition(period > 0, "SMA period must be at least 1")
        self.period = period
        window = RingBuffer(capacity: period)
    }

    public var isReady: Bool { window.isFull }

    @discardableResult
    @inline(__always)
    public mutating func update(_ x: Double) -> Double {
        if window.count < period - 1 {
            partialSum += x
            window.push(x)
            return .nan
        }
        let total = partialSum + x
        value = total / Double(period)
        window.push(x)
        partialSum = total - window.oldest
        return value
    }
}

/// Exponential moving average with smoothing 2 / (period + 1), seeded with the SMA of the first `period` inputs
/// (TA-Lib's default `EMA`).
public struct ExponentialMovingAverage: Sendable {
    public let period: Int
    public let smoothing: Double
    private var seedSum = 0.0
    private var seen = 0
    public private(set) var value = Double.nan

    public init(period: Int) {
        precondition(period > 0, "EMA period must be at least 1")
        self.period = period
        smoothing = 2.0 / Double(period + 1)
    }

    public var isReady: Bool { seen >= period }

    /// Starts the average at a given value, as if `period` inputs had been seen (MACD seeds this way).
    public mutating func seed(_ value: Double) {
        self.value = value
        seen = period
    }

    @discardableResult
    @inline(__always)
    public mutating func update(_ x: Double) -> Double {
        if seen >= period {
            value = (x - value) * smoothing + value
            return value
        }
        seedSum += x
        seen += 1
        if seen == period { value = seedSum / Double(period) }
        return value
    }
}

/// MACD 12/26/9 exactly as TA-Lib's `MACD`: both EMAs start at the slow period's first bar (the fast one seeded
/// with the SMA of its last `fast` inputs), and all three outputs begin when the signal line is ready.
public struct MovingAverageConvergenceDivergence: Sendable {
    public let fastPeriod: Int
    public let slowPeriod: Int
    public let signalPeriod: Int
    private var fast: ExponentialMovingAverage
    private var slow: ExponentialMovingAverage
    private var signalLine: ExponentialMovingAverage
    /// The latest `fast` inputs, kept only until the fast EMA is seeded.
    private var seedWindow: RingBuffer
    private var seen = 0
    public private(set) var macd = Double.nan
    public private(set) var signal = Double.nan
    public private(set) var histogram = Double.nan

    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) {
        precondition(fast > 0 && slow > 0 && signal > 0, "MACD periods must be at least 1")
        let (f, s) = fast < slow ? (fast, slow) : (slow, fast)
        fastPeriod = f
        slowPeriod = s
        signalPeriod = signal
        self.fast = ExponentialMovingAverage(period: f)
        self.slow = ExponentialMovingAverage(period: s)
        signalLine = ExponentialMovingAverage(period: signal)
        seedWindow = RingBuffer(capacity: f)
    }

    public var isReady: Bool { signalLine.isReady }

    @inline(__always)
    public mutating func update(_ x: Double) {
        seen += 1
        slow.update(x)
        if seen < slowPeriod {
            seedWindow.push(x)
            return
        }
        if seen == slowPeriod {
            seedWindow.push(x)
            var sum = 0.0
            for value in seedWindow.values { sum += value }
            fast.seed(sum / Double(fastPeriod))
        } else {
            fast.update(x)
        }
        let line = fast.value - slow.value
        signalLine.update(line)
        if signalLine.isReady {
            macd = line
            signal = signalLine.value
            histogram = line - signal
        }
    }
}
