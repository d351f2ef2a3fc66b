/// Builds higher-timeframe candles from base candles, aligned to UTC boundaries.
///
/// A bucket is emitted only once it is over: its close time (`start + timeframe`) is at or before the time the
/// data is known up to. A candle that is still forming never leaves the resampler, so no strategy can peek at a
/// bar before it closes. A bucket with holes (exchange gaps) is built from the base candles it has.
public enum Resampler {
    /// Resamples `candles` (in time order, of `base` timeframe) to `target`. `knownUntil` is the time the data is
    /// complete up to; by default the close time of the last base candle.
    public static func resample(
        _ candles: [Candle], base: Timeframe, to target: Timeframe, knownUntil: Timestamp? = nil
    ) -> [Candle] {
        precondition(target.isMultiple(of: base), "\(target) cannot be built from \(base) candles")
        guard let last = candles.last else { return [] }
        if target == base { return candles }
        let horizon = knownUntil ?? (last.time + base.seconds)
        var aggregator = CandleAggregator(timeframe: target)
        var output = [Candle]()
        output.reserveCapacity(candles.count / Int(target.seconds / base.seconds) + 1)
        for candle in candles {
            guard candle.time + base.seconds <= horizon else { break }
            aggregator.add(candle, baseTimeframe: base) { output.append($0) }
        }
        if let pending = aggregator.pending, pending.time + target.seconds <= horizon { output.append(pending) }
        return output
    }
}

/// Streaming resampler: feed base candles one at a time, get each higher-timeframe candle as soon as it closes.
public struct CandleAggregator: Sendable {
    public let timeframe: Timeframe
    /// The bucket being built, not yet closed.
    public private(set) var pending: Candle?

    public init(timeframe: Timeframe) { self.timeframe = timeframe }

    /// Adds a base candle and hands each bucket it completes to `emit`, oldest first. A bucket completes when its
    /// last base candle arrives or when a candle of a later bucket arrives (its missing candles were a gap); one
    /// candle after a gap can therefore complete two buckets.
    public mutating func add(_ candle: Candle, baseTimeframe: Timeframe, emit: (Candle) -> Void) {
        let start = timeframe.bucketStart(candle.time)
        if var current = pending, current.time == start {
            current.high = max(current.high, candle.high)
            current.low = min(current.low, candle.low)
            current.close = candle.close
            current.volume += candle.volume
            pending = current
        } else {
            if let stale = pending { emit(stale) }
            pending = Candle(time: start, open: candle.open, high: candle.high, low: candle.low, close: candle.close,
                             volume: candle.volume)
        }
        if candle.time + baseTimeframe.seconds == start + timeframe.seconds, let done = pending {
            pending = nil
            emit(done)
        }
    }
}
