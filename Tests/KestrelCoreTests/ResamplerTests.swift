import KestrelCore
import Testing

@Suite struct ResamplerTests {
    static let start = Timestamp(parsing: "2019-01-01T00:00:00Z")!

    /// 30-minute candles whose close is their index, so aggregates are easy to check.
    func halfHours(_ indices: [Int]) -> [Candle] {
        indices.map { i in
            Candle(time: Self.start + Int64(i) * 1800, open: Double(i) + 0.5, high: Double(i) + 2, low: Double(i),
                   close: Double(i) + 1, volume: 1)
        }
    }

    @Test func buildsAlignedHourlyCandles() {
        let hourly = Resampler.resample(halfHours(Array(0..<6)), base: .thirtyMinutes, to: .oneHour)
        #expect(hourly.count == 3)
        #expect(hourly[0] == Candle(time: Self.start, open: 0.5, high: 3, low: 0, close: 2, volume: 2))
        #expect(hourly[2].time == Self.start + 7200)
    }

    @Test func neverEmitsAFormingCandle() {
        // Five half-hours: the third hour has only its first half, so it is still forming.
        let hourly = Resampler.resample(halfHours(Array(0..<5)), base: .thirtyMinutes, to: .oneHour)
        #expect(hourly.count == 2)
        // Known only up to 00:45: nothing has closed beyond the first hour... and the first hour needs 01:00.
        let early = Resampler.resample(halfHours(Array(0..<6)), base: .thirtyMinutes, to: .oneHour,
                                       knownUntil: Self.start + 2700)
        #expect(early.isEmpty)
    }

    @Test func dailyCandlesStartAtMidnightUTC() {
        let base = halfHours(Array(10..<(48 * 3)))  // starts at 05:00
        let daily = Resampler.resample(base, base: .thirtyMinutes, to: .oneDay)
        #expect(daily.count == 3)
        #expect(daily.map(\.time) == [Self.start, Self.start + 86_400, Self.start + 172_800])
        #expect(daily[0].open == 10.5)  // the first day is built from the candles it has
        #expect(daily[1].volume == 48)
    }

    @Test func gapsCloseBucketsAndOneCandleCanCloseTwo() {
        // Hour 0 has only its first half; the next candle is the second half of hour 1.
        var aggregator = CandleAggregator(timeframe: .oneHour)
        var emitted = [Candle]()
        for candle in halfHours([0, 3]) { aggregator.add(candle, baseTimeframe: .thirtyMinutes) { emitted.append($0) } }
        #expect(emitted.map(\.time) == [Self.start, Self.start + 3600])
        #expect(aggregator.pending == nil)
    }

    @Test func streamingAggregatorMatchesBatch() throws {
        let candles = Array(try KestrelMarketDataAccess.candles("ETHUSD").prefix(5000))
        for timeframe in [Timeframe.oneHour, .fourHours, .oneDay] {
            var aggregator = CandleAggregator(timeframe: timeframe)
            var streamed = [Candle]()
            for candle in candles { aggregator.add(candle, baseTimeframe: .thirtyMinutes) { streamed.append($0) } }
            #expect(streamed == Resampler.resample(candles, base: .thirtyMinutes, to: timeframe))
        }
    }
}

@Suite struct HistoricalMarketTests {
    @Test func seesOnlyClosedCandles() throws {
        let candles = try KestrelMarketDataAccess.candles("BTCUSD")
        let instrument = Instrument(symbol: "BTCUSD", base: "BTC", quote: "USD", contractMultiplier: 0.001,
                                    tickSize: 0.1, maxLeverage: 100)
        let series = HistoricalMarket.Series(instrument: instrument, baseTimeframe: .thirtyMinutes, candles: candles,
                                             timeframes: [.oneHour, .fourHours, .oneDay])
        let at = Timestamp(parsing: "2019-06-01T13:45:00Z")!
        for timeframe in [Timeframe.thirtyMinutes, .oneHour, .fourHours, .oneDay] {
            let window = series.candles(timeframe, limit: 100, closedBy: at)
            #expect(window.count == 100)
            #expect(window.allSatisfy { $0.time + timeframe.seconds <= at })
            // ... and the next candle of that timeframe would not have been closed yet.
            #expect(window.last!.time + 2 * timeframe.seconds > at)
        }
        #expect(series.lastPrice(at: at) == candles.last { $0.time + 1800 <= at }?.close)
        let expectedVolume = candles.filter { $0.time + 1800 <= at && $0.time + 1800 > at - 86_400 }
            .reduce(0.0) { $0 + $1.volume * $1.close }
        #expect(abs(series.quoteVolume24h(at: at) - expectedVolume) <= 1e-6 * expectedVolume)
    }

    @Test func theWalkingVolumeWindowAgreesWithTheSearchedOne() throws {
        let candles = try KestrelMarketDataAccess.candles("ETHUSD")
        let instrument = Instrument(symbol: "ETHUSD", base: "ETH", quote: "USD", contractMultiplier: 0.01,
                                    tickSize: 0.01, maxLeverage: 100)
        let series = HistoricalMarket.Series(instrument: instrument, baseTimeframe: .thirtyMinutes, candles: candles,
                                             timeframes: [.oneHour])
        var window = series.volumeWindow
        // Forward in uneven steps from before the first candle to past the last, then back in time once.
        var times = stride(from: candles[0].time.seconds - 7200, through: candles.last!.time.seconds + 90_000,
                           by: 5_399).map { Timestamp(seconds: $0) }
        times.append(Timestamp(parsing: "2018-03-01T12:00:00Z")!)
        for time in times {
            #expect(window.quoteVolume24h(at: time) == series.quoteVolume24h(at: time))
        }
    }
}
