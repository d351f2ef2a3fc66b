import KestrelCore
import Testing

/// Random but valid candles: a random walk with wicks.
func randomCandles(_ count: Int, seed: UInt64, flatEvery: Int = 0) -> [Candle] {
    var state = seed
    func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    var price = 100.0
    return (0..<count).map { i in
        let open = price
        price *= 1 + (next() - 0.5) * 0.04
        if flatEvery > 0, i % flatEvery < 20 { price = open }  // stretches with no movement at all
        let close = price
        let high = max(open, close) * (1 + next() * 0.01)
        let low = min(open, close) * (1 - next() * 0.01)
        return Candle(time: Timestamp(seconds: 1_546_300_800 + Int64(i) * 1800), open: open, high: high, low: low,
                      close: close, volume: next() * 1000)
    }
}

@Suite struct IndicatorConsistencyTests {
    /// Streaming and batch computations perform the same operations, so they agree to the last bit.
    @Test(arguments: [0, 1, 2])
    func streamingEqualsBatchBitForBit(_ variant: Int) throws {
        let candles = variant == 0 ? try KestrelMarketDataAccess.candles("XRPUSD")
            : randomCandles(3000, seed: UInt64(variant), flatEvery: variant == 2 ? 100 : 0)
        let columns = IndicatorColumns(candles: candles)
        var set = IndicatorSet()
        var mismatches = 0
        for (i, candle) in candles.enumerated() {
            set.update(candle)
            let s = set.snapshot
            let pairs: [(Double, Double)] = [
                (s.sma20, columns.sma20[i]), (s.sma50, columns.sma50[i]), (s.ema12, columns.ema12[i]),
                (s.ema26, columns.ema26[i]), (s.macd, columns.macd[i]), (s.macdSignal, columns.macdSignal[i]),
                (s.macdHistogram, columns.macdHistogram[i]), (s.rsi14, columns.rsi14[i]), (s.stochK, columns.stochK[i]),
                (s.stochD, columns.stochD[i]), (s.bbUpper, columns.bbUpper[i]), (s.bbMiddle, columns.bbMiddle[i]),
                (s.bbLower, columns.bbLower[i]), (s.atr14, columns.atr14[i]), (s.roc10, columns.roc10[i]),
                (s.volumeSMA20, columns.volumeSMA20[i]),
            ]
            for (streamed, batch) in pairs where streamed.bitPattern != batch.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func shortSeriesStayEmptyWithoutCrashing() {
        for count in 0..<40 {
            let columns = IndicatorColumns(candles: randomCandles(count, seed: 9))
            #expect(columns.macd.filter { !$0.isNaN }.count == max(0, count - 33))
            #expect(columns.sma50.allSatisfy { $0.isNaN })
            #expect(columns.sma20.filter { !$0.isNaN }.count == max(0, count - 19))
        }
    }

    @Test func rollingExtremumMatchesNaiveWindow() {
        // Flat stretches give runs of equal values; falling and rising runs fill the queue and empty it at once.
        let candles = randomCandles(2000, seed: 4, flatEvery: 50)
        let ramps: [Double] = (0..<300).map { step in
            let offset = step % 60
            return Double((step / 60) % 2 == 0 ? offset : 60 - offset)
        }
        for period in [1, 2, 14, 50] {
            for series in [candles.map(\.high), candles.map(\.low), ramps] {
                var maximum = RollingExtremum(period: period, kind: .maximum)
                var minimum = RollingExtremum(period: period, kind: .minimum)
                for i in series.indices {
                    maximum.update(series[i])
                    minimum.update(series[i])
                    let window = series[max(0, i - period + 1)...i]
                    #expect(maximum.value == window.max(), "period \(period) at \(i)")
                    #expect(minimum.value == window.min(), "period \(period) at \(i)")
                    #expect(maximum.isReady == (i + 1 >= period))
                }
            }
        }
        #expect(RollingExtremum(period: 3, kind: .maximum).value.isNaN)
    }

    @Test func ringBufferKeepsTheNewestValues() {
        var ring = RingBuffer(capacity: 3)
        for value in 1...5 { ring.push(Double(value)) }
        #expect(ring.values == [3, 4, 5])
        #expect(ring.oldest == 3)
        #expect(ring[back: 0] == 5)
        #expect(ring[back: 2] == 3)
    }

    @Test func derivedValuesFollowTheirDefinitions() {
        let candles = randomCandles(200, seed: 11)
        let snapshot = IndicatorSet(candles: candles).snapshot
        let closes = candles.map(\.close)
        #expect(abs(snapshot.momentum - (closes[199] / closes[189] - 1)) < 1e-12)
        #expect(abs(snapshot.roc10 - snapshot.momentum * 100) < 1e-9)
        let last50 = candles.suffix(50)
        #expect(snapshot.high50 == last50.map(\.high).max())
        #expect(snapshot.low50 == last50.map(\.low).min())
        let weighted = last50.reduce(0.0) { $0 + $1.typicalPrice * $1.volume }
        let volume = last50.reduce(0.0) { $0 + $1.volume }
        #expect(abs(snapshot.vwap50 - weighted / volume) < 1e-9 * snapshot.vwap50)
        #expect(abs(snapshot.volumeRatio - candles[199].volume / snapshot.volumeSMA20) < 1e-12)
        #expect(abs(snapshot.bbWidth - (snapshot.bbUpper - snapshot.bbLower) / snapshot.bbMiddle) < 1e-15)
        #expect(IndicatorSnapshot().volumeRatio == 1)
        #expect(IndicatorSnapshot().stochKOrNeutral == 50)
    }

    @Test func volumeProfileFindsWhereVolumeTraded() throws {
        // Heavy volume around 100 and 110, light elsewhere; the close is 105.
        var closes = [Double]()
        var volumes = [Double]()
        for i in 0..<50 {
            let price = 95 + Double(i % 20)
            closes.append(price)
            volumes.append(price == 100 ? 500 : price == 110 ? 300 : 10)
        }
        let profile = try #require(VolumeProfile(closes: closes, volumes: volumes, close: 105))
        let support = try #require(profile.supports.first)
        let resistance = try #require(profile.resistances.first)
        #expect(abs(profile.pointOfControl - 100) < 0.6)
        #expect(abs(support - 100) < 0.6)
        #expect(abs(resistance - 110) < 0.6)
        #expect(profile.supports.allSatisfy { $0 < 105 })
        #expect(profile.resistances.allSatisfy { $0 > 105 })
        #expect(VolumeProfile(closes: [1, 1, 1], volumes: [1, 1, 1], close: 1) == nil)
    }

    @Test func theStreamingProfileIsTheProfileOfTheLastFiftyBars() throws {
        // Before the window is full, and after it has wrapped around several times.
        for count in [7, 50, 173] {
            let candles = randomCandles(count, seed: UInt64(count))
            var set = IndicatorSet()
            for candle in candles { set.update(candle) }
            let window = candles.suffix(IndicatorSet.profileBars)
            let expected = VolumeProfile(closes: window.map(\.close), volumes: window.map(\.volume),
                                         close: candles[count - 1].close)
            #expect(set.volumeProfile == expected)
            #expect(expected != nil)
            // A window read where it lies in the whole series is the same window.
            let closes = candles.map(\.close), volumes = candles.map(\.volume)
            #expect(VolumeProfile(closes: closes[window.indices], volumes: volumes[window.indices],
                                  close: candles[count - 1].close) == expected)
            // The strategy's view works it out when read, from the same bars.
            var analyzer = SymbolAnalyzer(symbol: "X", requirements: [TimeframeRequirement(timeframe: .oneHour,
                                                                                           history: 100, minimum: 1)])
            for candle in candles { analyzer.update(candle, timeframe: .oneHour) }
            #expect(analyzer.view()?.primary.profile == expected)
        }
    }
}
