@testable import KestrelCore
import Testing

/// A streamed symbol's indicators follow its candles as they close: the verdict at any moment is the one computed
/// cold from the same candles.
@Suite struct StreamedSymbolTests {
    @Test func theIndicatorsKeptCurrentAgreeWithOnesBuiltFromTheSameCandles() throws {
        let strategy = DefaultStrategy()
        let hourly = Resampler.resample(try KestrelMarketDataAccess.candles("LTCUSD"), base: .thirtyMinutes,
                                        to: .oneHour)
        let timeframes = strategy.requirements.map(\.timeframe)
        let context = StrategyContext(explains: false)
        // History before the stream: the higher timeframes first, then the base.
        let seededUntil = 400
        var candles = StreamedCandles(base: .oneHour, timeframes: timeframes, capacity: 2_000)
        for timeframe in timeframes.sorted(by: >) where timeframe != .oneHour {
            let higher = Resampler.resample(Array(hourly[..<seededUntil]), base: .oneHour, to: timeframe)
            candles.seed(higher, timeframe: timeframe)
        }
        candles.seed(Array(hourly[..<seededUntil]), timeframe: .oneHour)
        var symbol = StreamedSymbol(symbol: "LTC", candles: candles, requirements: strategy.requirements)

        var compared = 0
        var signals = 0
        for (offset, candle) in hourly[seededUntil..<700].enumerated() {
            switch offset % 3 {
            case 0:
                // Closed by the push of the next hour (twice: the second push changes nothing).
                symbol.push(candle)
                symbol.push(candle)
            case 1:
                // Closed by the clock.
                symbol.push(candle)
                symbol.close(dueBy: candle.time + 3_600)
            default:
                // Missed during a break, then filled in.
                if let forming = symbol.candles.forming { symbol.close(dueBy: forming.time + 3_600) }
                symbol.seed([candle], timeframe: .oneHour)
            }
            let held = strategy.requirements.map { symbol.candles.closed[$0.timeframe] ?? [] }
            let cold = SymbolAnalyzer(symbol: "LTC", requirements: strategy.requirements, candles: held)
            let expected = cold.evaluate(strategy, context: context)
            #expect(symbol.evaluate(strategy, context: context) == expected, "after candle \(seededUntil + offset)")
            // Asked again without a new candle: the kept verdict, the same.
            #expect(symbol.evaluate(strategy, context: context) == expected)
            #expect(symbol.analysedUntil == cold.primaryClosedUntil)
            // The close time kept equals the one the candles give.
            #expect(symbol.candles.closedUntil == symbol.candles.closed[.oneHour]?.last.map { $0.time + 3_600 })
            compared += 1
            if expected?.isActionable == true { signals += 1 }
        }
        #expect(compared == 300)
        // The 4h and 1d candles built from the stream reached the indicators too.
        #expect((symbol.candles.closed[.fourHours]?.count ?? 0) >= 170)
        #expect(signals > 0, "the comparison covered signals, not only holds")
    }

    /// LTCUSD's first `count` hours seeded into a symbol named `name` that follows the default strategy's primary
    /// timeframe only.
    static func ltcSymbol(_ name: String = "LTC", hours count: Int) throws -> (StreamedSymbol, hourly: [Candle]) {
        let hourly = Resampler.resample(try KestrelMarketDataAccess.candles("LTCUSD"), base: .thirtyMinutes,
                                        to: .oneHour)
        var candles = StreamedCandles(base: .oneHour, timeframes: [.oneHour], capacity: 2_000)
        candles.seed(Array(hourly[..<count]), timeframe: .oneHour)
        return (StreamedSymbol(symbol: name, candles: candles, requirements: [DefaultStrategy().requirements[0]]),
                hourly)
    }

    @Test func aNewContextIsNotAnsweredFromTheKeptVerdict() throws {
        let strategy = DefaultStrategy()
        var (symbol, hourly) = try Self.ltcSymbol(hours: 300)
        let requirements = [strategy.requirements[0]]
        let explained = symbol.evaluate(strategy, context: StrategyContext(explains: true))
        let bare = symbol.evaluate(strategy, context: StrategyContext(explains: false))
        let cold = SymbolAnalyzer(symbol: "LTC", requirements: requirements, candles: [Array(hourly[..<300])])
        #expect(explained == cold.evaluate(strategy, context: StrategyContext(explains: true)))
        #expect(bare == cold.evaluate(strategy, context: StrategyContext(explains: false)))
    }

    @Test func aSymbolBehindIsAnsweredStaleAndOneAheadIsLeftToTheCandles() throws {
        let strategy = DefaultStrategy()
        var (symbol, _) = try Self.ltcSymbol(hours: 300)
        let closedUntil = try #require(symbol.candles.closedUntil)
        // Within the hour after the newest close: current.
        guard case .evaluated? = symbol.answer(strategy, context: StrategyContext(), at: closedUntil + 3_599) else {
            Issue.record("a current symbol is evaluated")
            return
        }
        // An hour later the next candle is due and missing.
        guard case .stale(let until, let due)? = symbol.answer(strategy, context: StrategyContext(),
                                                               at: closedUntil + 3_600) else {
            Issue.record("a symbol behind is stale")
            return
        }
        #expect(until == closedUntil && due == closedUntil + 3_600)
        // Asked of a time before its newest candle: not the state of that time.
        #expect(symbol.answer(strategy, context: StrategyContext(), at: closedUntil - 1) == nil)
    }

    @Test func symbolsAreFoundAndChangedWhereTheyLieAfterOneIsRemoved() throws {
        var market = StreamedSymbols()
        var hourly = [Candle]()
        for (index, name) in ["A", "B", "C", "D"].enumerated() {
            let (symbol, candles) = try Self.ltcSymbol(name, hours: 100 + index)
            market.insert(symbol)
            hourly = candles
        }
        market.remove("B")
        #expect(market.symbols == ["A", "C", "D"])
        #expect(!market.contains("B") && market.read("B") { $0.primaryBars } == nil)
        // Each is still found under its own name after the renumbering.
        #expect(market.read("C") { $0.primaryBars } == 102)
        #expect(market.read("D") { $0.primaryBars } == 103)
        // A change reaches the symbol held, not a copy.
        let next = hourly[103]
        #expect(market.change("D") { $0.seed([next], timeframe: .oneHour) } != nil)
        #expect(market.read("D") { $0.primaryBars } == 104)
        #expect(market.change("B") { _ in true } == nil)
        // A symbol inserted again replaces the one held.
        market.insert(try Self.ltcSymbol("A", hours: 10).0)
        #expect(market.count == 3 && market.read("A") { $0.primaryBars } == 10)
    }
}
