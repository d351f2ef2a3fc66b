import KestrelCore
import Testing

@Suite struct DefaultStrategyTests {
    let strategy = DefaultStrategy()

    /// A neutral-regime hourly snapshot with no vote of its own: every test adds the signals it is about.
    func quiet() -> IndicatorSnapshot {
        var s = IndicatorSnapshot()
        s.time = Timestamp(parsing: "2019-06-01T12:00:00Z")!
        s.close = 100
        s.volume = 10
        s.volumeSMA20 = 10
        (s.ema12, s.ema26) = (100, 100)
        (s.macd, s.macdSignal, s.macdHistogram) = (0, 0, 0)
        s.rsi14 = 50
        (s.stochK, s.stochD) = (50, 50)
        (s.bbUpper, s.bbMiddle, s.bbLower) = (102.5, 100, 97.5)  // width 0.05
        s.atr14 = 1
        (s.roc10, s.momentum) = (0, 0)
        (s.sma20, s.sma50) = (100, 100)
        (s.high50, s.low50) = (120, 80)
        return s
    }

    func view(_ primary: IndicatorSnapshot, h4: IndicatorSnapshot? = nil, d1: IndicatorSnapshot? = nil,
              profile: VolumeProfile? = nil) -> SymbolView {
        var confirmations = [TimeframeView]()
        if let h4 { confirmations.append(TimeframeView(timeframe: .fourHours, indicators: h4, bars: 50)) }
        if let d1 { confirmations.append(TimeframeView(timeframe: .oneDay, indicators: d1, bars: 30)) }
        return SymbolView(symbol: "TEST", primary: TimeframeView(timeframe: .oneHour, indicators: primary, bars: 100,
                                                                 profile: profile),
                          confirmations: confirmations)
    }

    func votes(_ result: SignalResult) -> [Vote] {
        result.reasons.compactMap { if case .vote(let vote) = $0 { vote } else { nil } }
    }

    @Test func classifiesRegimes() {
        var s = quiet()
        #expect(strategy.evaluate(view(s), context: .init()).regime == .neutral)
        s.momentum = 0.031
        s.roc10 = 3.1
        #expect(strategy.evaluate(view(s), context: .init()).regime == .trending)
        s = quiet()
        (s.bbUpper, s.bbLower) = (100.5, 99.5)  // width 0.01
        #expect(strategy.evaluate(view(s), context: .init()).regime == .ranging)
        s.momentum = 0.011
        #expect(strategy.evaluate(view(s), context: .init()).regime == .neutral)
    }

    @Test func noVotesIsHold() {
        let result = strategy.evaluate(view(quiet()), context: .init())
        #expect(result.signal == .hold)
        #expect(result.confidence == 0)
        #expect(result.score == 0)
        #expect(result.reasons == [.noVotes])
    }

    @Test func bullishVotesWeighAsTheOriginal() throws {
        var s = quiet()
        s.ema12 = 101  // trend weight 1.5 (neutral)
        (s.macd, s.macdSignal, s.macdHistogram) = (0.5, 0.2, 0.3)  // 1.5
        s.rsi14 = 35  // 0.5 x 1.0
        (s.stochK, s.stochD) = (15, 10)  // 1.0
        s.close = 97  // below the lower band: 1.5; within 2% of the 50-bar low 96: 1.5
        s.low50 = 96
        s.volume = 20  // volume ratio 2: +1 to the leading side
        s.momentum = 0.012  // mild: 0.3 x 1.5
        s.roc10 = 1.2
        let result = strategy.evaluate(view(s), context: .init())
        let weights = votes(result).map { ($0.side, $0.weight) }
        #expect(weights.map(\.0).allSatisfy { $0 == .buy })
        let expected: Double = 1.5 + 1.5 + 0.5 + 1 + 1.5 + 1 + 0.45 + 1.5
        let total = weights.map(\.1).reduce(0, +)
        #expect(abs(total - expected) < 1e-12)
        #expect(result.signal == .buy)
        #expect(result.confidence == 1)
        // 120 x 1 + momentum > 1%: 5 + volume ratio > 1.5: 5 + width 0.05: 12 + RSI: 0 + neutral: 0
        // + momentum / width = 0.24 < 0.5: -8
        #expect(abs(result.score - 134) < 1e-9)
        #expect(result.isActionable)
    }

    @Test func bearishMirror() {
        var s = quiet()
        s.ema12 = 99
        (s.macd, s.macdSignal, s.macdHistogram) = (-0.5, -0.2, -0.3)
        s.rsi14 = 75
        (s.stochK, s.stochD) = (85, 90)
        let result = strategy.evaluate(view(s), context: .init())
        #expect(result.signal == .sell)
        #expect(votes(result).allSatisfy { $0.side == .sell })
        // RSI 75 is above 70 (+6) but not above 75 (+12); width 0.05: +12; momentum / width < 0.5: -8.
        let expectedScore: Double = 120 + 6 + 12 - 8
        #expect(abs(result.score - expectedScore) < 1e-9)
    }

    @Test func trendingMomentumVoteScalesWithStrength() {
        var s = quiet()
        s.momentum = 0.05
        s.roc10 = 5
        let result = strategy.evaluate(view(s), context: .init())
        #expect(result.regime == .trending)
        let momentum = votes(result).first { if case .momentum = $0.factor { true } else { false } }
        // strength = (0.05 + 0.05) / 2 = 0.05; min(0.05 / 0.02, 2) x 2.5 = 5
        #expect(momentum?.weight == 5)
        #expect(momentum?.side == .buy)
    }

    @Test func minimumConfidenceDependsOnRegimeAndWinRate() {
        // 1.5 buy (EMA) against 1.0 sell (stochastic): confidence 0.6.
        var s = quiet()
        s.ema12 = 101
        (s.stochK, s.stochD) = (85, 90)
        #expect(strategy.evaluate(view(s), context: .init()).signal == .buy)  // neutral minimum 0.6
        #expect(strategy.evaluate(view(s), context: .init(recentWinRate: 0.3)).signal == .hold)  // 0.7
        #expect(strategy.evaluate(view(s), context: .init(recentWinRate: 0.7)).signal == .buy)  // 0.55
        let strict = DefaultStrategy(parameters: .conservative)
        #expect(strict.evaluate(view(s), context: .init()).signal == .hold)
    }

    @Test func higherTimeframesConfirmOrQuestion() throws {
        var s = quiet()
        s.ema12 = 101
        (s.stochK, s.stochD) = (85, 90)  // raw confidence 0.6
        var bullish = quiet()
        bullish.ema12 = 101
        bullish.macd = 1
        bullish.rsi14 = 60
        var bearish = quiet()
        bearish.ema12 = 99
        bearish.macd = -1
        bearish.rsi14 = 40

        let agreed = strategy.evaluate(view(s, h4: bullish, d1: bullish), context: .init())
        #expect(agreed.signal == .buy)
        #expect(abs(agreed.confidence - 0.6 * 1.2) < 1e-12)  // strength 1
        #expect(agreed.reasons.contains(.higherTimeframes(agree: true, side: .buy, strength: 1, multiplier: 1.2)))

        let conflicted = strategy.evaluate(view(s, h4: bearish, d1: bearish), context: .init())
        #expect(abs(conflicted.confidence - 0.42) < 1e-12)
        #expect(conflicted.signal == .buy)  // 0.42 >= 0.7 x 0.6
        // Under a win rate that raises the minimum to 0.7, the conflict drops it to HOLD.
        let held = strategy.evaluate(view(s, h4: bearish, d1: bearish), context: .init(recentWinRate: 0.3))
        #expect(held.signal == .hold)
        #expect(held.reasons.last == .conflictTooWeak(confidence: 0.42))

        // Agreement lifts a signal that was below the minimum: 0.55 x 1.2 = 0.66 >= 0.6.
        var weak = quiet()
        weak.ema12 = 101
        (weak.stochK, weak.stochD) = (85, 90)
        weak.momentum = -0.006  // mild sell: 0.45; buy 1.5 vs sell 1.45 -> 0.508
        let lifted = strategy.evaluate(view(weak, h4: bullish, d1: bullish), context: .init())
        #expect(lifted.signal == .buy)
        #expect(strategy.evaluate(view(weak), context: .init()).signal == .hold)

        // A split higher timeframe (neither side 1.5x the other) changes nothing: 4h EMA up, MACD down.
        var mixed = quiet()
        mixed.ema12 = 101
        mixed.macd = -1
        let split = strategy.evaluate(view(s, h4: mixed), context: .init())
        #expect(split.confidence == 0.6)
        #expect(!split.reasons.contains { if case .higherTimeframes = $0 { true } else { false } })
        // 4h up (2.5) against 1d down (1.5) still leads by more than 1.5x: strength 0.625.
        let leaning = strategy.evaluate(view(s, h4: bullish, d1: bearish), context: .init())
        #expect(abs(leaning.confidence - 0.6 * 1.125) < 1e-12)
    }

    /// A mild buy (EMA and MACD up) at 100, and a volume profile with its support just below.
    func buyNearSupport() -> (IndicatorSnapshot, VolumeProfile?) {
        var s = quiet()
        s.ema12 = 101
        (s.macd, s.macdSignal, s.macdHistogram) = (0.5, 0.2, 0.3)
        let near = VolumeProfile(closes: [99.2, 99.4, 99.5, 101, 103, 104], volumes: [50, 60, 40, 1, 1, 1],
                                 close: 100)
        return (s, near)
    }

    @Test func supportWithinReachAddsToTheScore() throws {
        let (s, near) = buyNearSupport()
        let plain = strategy.evaluate(view(s), context: .init())
        let supported = strategy.evaluate(view(s, profile: near), context: .init())
        #expect(abs(supported.score - plain.score - 10) < 1e-9)
        #expect(supported.reasons.contains { if case .supportInReach = $0 { true } else { false } })
    }

    @Test func withoutExplanationsTheVerdictIsTheSameAndHasNoReasons() throws {
        let (s, near) = buyNearSupport()
        for symbolView in [view(s), view(s, profile: near), view(quiet())] {
            var explained = strategy.evaluate(symbolView, context: .init())
            let terse = strategy.evaluate(symbolView, context: .init(explains: false))
            #expect(!explained.reasons.isEmpty && terse.reasons.isEmpty)
            explained.reasons = []
            #expect(explained == terse)
        }
    }

    @Test func resultIsAPureFunctionOfTheSymbolsCandles() async throws {
        let market = try KestrelMarketDataAccess.candles("LTCUSD")
        let hourly = Resampler.resample(market, base: .thirtyMinutes, to: .oneHour)
        let requirements = strategy.requirements
        // 64 windows of one symbol evaluated serially and then all at once in parallel must agree.
        let windows = (0..<64).map { Array(hourly[(100 * $0)..<(100 * $0 + 100)]) }
        let serial = windows.map {
            SymbolAnalyzer(symbol: "LTC", requirements: requirements, candles: [$0]).evaluate(strategy)
        }
        let parallel = await withTaskGroup(of: (Int, SignalResult?).self) { group in
            for (index, window) in windows.enumerated() {
                group.addTask {
                    (index, SymbolAnalyzer(symbol: "LTC", requirements: requirements, candles: [window])
                        .evaluate(strategy))
                }
            }
            var results = [SignalResult?](repeating: nil, count: windows.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
        #expect(serial == parallel)
        #expect(serial.allSatisfy { $0 != nil })
    }

    @Test func analyzerNeedsEnoughPrimaryHistory() {
        let candles = randomCandles(49, seed: 3)
        let analyzer = SymbolAnalyzer(symbol: "X", requirements: strategy.requirements, candles: [candles])
        #expect(analyzer.evaluate(strategy) == nil)
        var grown = analyzer
        grown.update(randomCandles(50, seed: 3)[49], timeframe: .oneHour)
        #expect(grown.evaluate(strategy) != nil)
        // A stale or repeated candle is ignored.
        let before = grown.view()?.primary.bars
        grown.update(candles[10], timeframe: .oneHour)
        #expect(grown.view()?.primary.bars == before)
    }
}
