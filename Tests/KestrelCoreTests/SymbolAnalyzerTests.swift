@testable import KestrelCore
import Testing

@Suite struct SymbolAnalyzerTests {
    @Test func evaluatingInPlaceGivesTheVerdictOfEvaluateAndChangesNothing() throws {
        let strategy = DefaultStrategy()
        let market = try KestrelMarketDataAccess.candles("LTCUSD")
        let hourly = Resampler.resample(market, base: .thirtyMinutes, to: .oneHour)
        let fourHourly = Resampler.resample(market, base: .thirtyMinutes, to: .fourHours)
        var analyzers = [SymbolAnalyzer(symbol: "LTC", requirements: strategy.requirements,
                                        candles: [Array(hourly[..<100]), Array(fourHourly[..<50])])]
        let context = StrategyContext(explains: false)
        var verdicts = 0
        // Fed candle by candle, as a backtest feeds them, the two forms agree at every step.
        for candle in hourly[100..<400] {
            analyzers[0].update(candle, timeframe: .oneHour)
            let before = analyzers[0].view()?.primary.indicators.close
            let expected = analyzers[0].evaluate(strategy, context: context)
            let inPlace = analyzers[0].evaluateInPlace(strategy, context: context)
            #expect(inPlace == expected)
            #expect(analyzers[0].view()?.primary.indicators.close == before)
            if inPlace != nil { verdicts += 1 }
        }
        #expect(verdicts == 300)
    }
}
