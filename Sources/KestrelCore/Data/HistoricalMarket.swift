/// A market of recorded candles that answers "what was known at time T", with no look-ahead.
///
/// Each symbol's base candles are resampled once, up front, to every timeframe the strategy reads; a question about
/// time T then costs a binary search. A candle is visible at T only if it had closed by T.
public struct HistoricalMarket: Sendable {
    public struct Series: Sendable {
        public var instrument: Instrument
        public var baseTimeframe: Timeframe
        public var base: [Candle]
        /// Resampled candles per timeframe, complete buckets only.
        public var resampled: [Timeframe: [Candle]]
        /// Running total of quote volume (volume x close) over `base`, for 24 h volume in O(log n).
        var quoteVolumePrefix: [Double]

        public init(instrument: Instrument, baseTimeframe: Timeframe, candles: [Candle], timeframes: [Timeframe]) {
            self.instrument = instrument
            self.baseTimeframe = baseTimeframe
            base = candles
            var resampled = [Timeframe: [Candle]]()
            for timeframe in Set(timeframes) where timeframe.isMultiple(of: baseTimeframe) {
                resampled[timeframe] = Resampler.resample(candles, base: baseTimeframe, to: timeframe)
            }
            resampled[baseTimeframe] = candles
            self.resampled = resampled
            var prefix = [Double]()
            prefix.reserveCapacity(candles.count + 1)
            prefix.append(0)
            var total = 0.0
            for candle in candles {
                total += candle.volume * candle.close
                prefix.append(total)
            }
            quoteVolumePrefix = prefix
        }

        /// Index one past the last candle of `candles` closed at `time`.
        static func endIndex(_ candles: [Candle], timeframe: Timeframe, closedBy time: Timestamp) -> Int {
            var low = 0
            var high = candles.count
            while low < high {
                let mid = (low + high) / 2
                if candles[mid].time + timeframe.seconds <= time { low = mid + 1 } else { high = mid }
            }
            return low
        }

        /// The last `limit` candles of `timeframe` closed by `time`, oldest first.
        public func candles(_ timeframe: Timeframe, limit: Int, closedBy time: Timestamp) -> ArraySlice<Candle> {
            guard let all = resampled[timeframe] else { return [] }
            let end = Series.endIndex(all, timeframe: timeframe, closedBy: time)
            return all[max(0, end - limit)..<end]
        }

        /// The close of the last base candle closed by `time`.
        public func lastPrice(at time: Timestamp) -> Double? {
            let end = Series.endIndex(base, timeframe: baseTimeframe, closedBy: time)
            return end > 0 ? base[end - 1].close : nil
        }

        /// Quote volume of the base candles that closed in the 24 hours up to `time`.
        public func quoteVolume24h(at time: Timestamp) -> Double {
            let end = Series.endIndex(base, timeframe: baseTimeframe, closedBy: time)
            let start = Series.endIndex(base, timeframe: baseTimeframe, closedBy: time - 86_400)
            return quoteVolumePrefix[end] - quoteVolumePrefix[start]
        }

        /// The 24 h quote volume of this series for a caller whose times only go forward (a backtest).
        public var volumeWindow: VolumeWindow {
            VolumeWindow(base: base, timeframe: baseTimeframe, quoteVolumePrefix: quoteVolumePrefix)
        }

        /// `quoteVolume24h(at:)` with a window whose ends move on from where the last call left them: O(1) a call on
        /// average instead of two binary searches. It holds only what it reads, so a caller keeps one per symbol
        /// and never touches the whole series (reaching a method through an array of them copies one).
        public struct VolumeWindow: Sendable {
            let base: [Candle]
            let timeframe: Timeframe
            let quoteVolumePrefix: [Double]
            var start = 0
            var end = 0

            public mutating func quoteVolume24h(at time: Timestamp) -> Double {
                end = Series.advance(end, in: base, timeframe: timeframe, closedBy: time)
                start = Series.advance(start, in: base, timeframe: timeframe, closedBy: time - 86_400)
                return quoteVolumePrefix[end] - quoteVolumePrefix[start]
            }
        }

        /// `endIndex(candles, closedBy: time)`, found by walking forward from `index` (or searched afresh if time
        /// went back).
        private static func advance(_ index: Int, in candles: [Candle], timeframe: Timeframe, closedBy time: Timestamp)
            -> Int {
            guard index <= candles.count, index == 0 || candles[index - 1].time + timeframe.seconds <= time else {
                return endIndex(candles, timeframe: timeframe, closedBy: time)
            }
            var index = index
            while index < candles.count, candles[index].time + timeframe.seconds <= time { index += 1 }
            return index
        }
    }

    public private(set) var series: [String: Series]
    public let symbols: [String]

    public init(series: [Series]) {
        var bySymbol = [String: Series]()
        for item in series { bySymbol[item.instrument.symbol] = item }
        self.series = bySymbol
        symbols = series.map(\.instrument.symbol)
    }

    /// The earliest and latest close times across all symbols.
    public var timeRange: ClosedRange<Timestamp>? {
        let starts = series.values.compactMap { $0.base.first?.time }
        let ends = series.values.compactMap { s in s.base.last.map { $0.time + s.baseTimeframe.seconds } }
        guard let start = starts.min(), let end = ends.max() else { return nil }
        return start...end
    }

    /// Where a backtest over data spanning `range` starts unless told otherwise: 30 days in, so the indicators have
    /// warmed up on the data before it.
    public static func defaultBacktestStart(in range: ClosedRange<Timestamp>) -> Timestamp {
        range.lowerBound + 30 * 86_400
    }

    /// Instruments as the exchange would list them at `time`, with their 24 h quote volume then.
    public func listing(at time: Timestamp) -> [Instrument] {
        symbols.compactMap { symbol in
            guard var instrument = series[symbol]?.instrument else { return nil }
            instrument.quoteVolume24h = series[symbol]?.quoteVolume24h(at: time) ?? 0
            instrument.lastPrice = series[symbol]?.lastPrice(at: time) ?? 0
            return instrument
        }
    }
}

extension HistoricalMarket: CustomStringConvertible {
    /// A summary: a market's default description would print every candle.
    public var description: String { "HistoricalMarket(\(symbols.joined(separator: ", ")))" }
}
