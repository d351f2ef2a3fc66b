/// What a user needs to know about a candle series before trusting it: its size, span, timeframe and holes.
public struct SeriesSummary: Sendable, Equatable {
    public struct Gap: Sendable, Equatable {
        /// Open time of the last candle before the hole.
        public var after: Timestamp
        /// Open time of the first candle after the hole.
        public var before: Timestamp
        /// How many candles are missing.
        public var missing: Int
    }

    public var rows: Int
    public var first: Timestamp
    public var last: Timestamp
    public var timeframe: Timeframe
    public var gaps: [Gap]

    public var missingCandles: Int { gaps.reduce(0) { $0 + $1.missing } }
    public var largestGap: Gap? { gaps.max { $0.missing < $1.missing } }

    /// Summarises a series that is already in time order. The timeframe is the most common step between candles,
    /// so a few holes do not change it; `timeframe` overrides the detection.
    public init?(candles: [Candle], timeframe declared: Timeframe? = nil) {
        guard let firstCandle = candles.first, let lastCandle = candles.last else { return nil }
        rows = candles.count
        first = firstCandle.time
        last = lastCandle.time
        let step = declared ?? SeriesSummary.detectTimeframe(candles) ?? .oneMinute
        timeframe = step
        var gaps = [Gap]()
        for i in candles.indices.dropFirst() {
            let delta = candles[i].time - candles[i - 1].time
            if delta > step.seconds {
                gaps.append(Gap(after: candles[i - 1].time, before: candles[i].time,
                                missing: Int((delta + step.seconds - 1) / step.seconds) - 1))
            }
        }
        self.gaps = gaps
    }

    /// The most common step between consecutive candles, or nil for fewer than two candles.
    public static func detectTimeframe(_ candles: [Candle]) -> Timeframe? {
        guard candles.count >= 2 else { return nil }
        var counts = [Int64: Int]()
        for i in candles.indices.dropFirst().prefix(5000) {
            counts[candles[i].time - candles[i - 1].time, default: 0] += 1
        }
        guard let (step, _) = counts.filter({ $0.key > 0 }).max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) })
        else { return nil }
        return Timeframe(seconds: step)
    }
}

/// How a series with holes is turned into one an indicator can read.
public enum GapPolicy: String, Sendable, CaseIterable {
    /// Leave holes as they are: indicators see the candles that exist, one after another. Exchanges do the same.
    case keep
    /// Fill each missing candle with a flat candle at the previous close and zero volume, so that every
    /// `n`-candle window spans exactly `n` timeframes.
    case fill

    public func apply(_ candles: [Candle], timeframe: Timeframe) -> [Candle] {
        guard self == .fill, var previous = candles.first else { return candles }
        var output = [Candle]()
        output.reserveCapacity(candles.count)
        output.append(previous)
        for candle in candles.dropFirst() {
            var time = previous.time + timeframe.seconds
            while time < candle.time {
                output.append(Candle(time: time, open: previous.close, high: previous.close, low: previous.close,
                                     close: previous.close, volume: 0))
                time = time + timeframe.seconds
            }
            output.append(candle)
            previous = candle
        }
        return output
    }
}
