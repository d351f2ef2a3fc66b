import KestrelCore
import KestrelMarketData
import Synchronization
import Testing

/// A market of synthetic symbols with controllable failures, delays and bookkeeping of what was asked.
final class FakeSource: MarketDataSource, Sendable {
    struct Stats {
        var inFlight = 0
        var maxInFlight = 0
        var latestRequested = Timestamp(seconds: 0)
        var requests = 0
    }

    let market: HistoricalMarket
    let failing: Set<String>
    let delay: Duration
    let stats = Mutex(Stats())

    init(symbols: Int, failing: Set<String> = [], delay: Duration = .zero) throws {
        let base = try EmbeddedMarket.candles(for: "BTCUSD")
        let series = (0..<symbols).map { index in
            HistoricalMarket.Series(
                instrument: Instrument(symbol: "S\(index)", base: "S\(index)", quote: "USDT", contractMultiplier: 1,
                                       tickSize: 0.1, maxLeverage: 20),
                // Each symbol is the same market shifted by a few days, so their signals differ.
                baseTimeframe: .thirtyMinutes,
                candles: base.dropFirst(index * 150).enumerated().map { offset, candle in
                    var shifted = candle
                    shifted.time = base[offset].time
                    return shifted
                },
                timeframes: [.oneHour, .fourHours, .oneDay])
        }
        market = HistoricalMarket(series: series)
        self.failing = failing
        self.delay = delay
    }

    func instruments(at time: Timestamp) async throws -> [Instrument] {
        market.listing(at: time)
    }

    func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws -> [Candle] {
        stats.withLock {
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
            $0.latestRequested = max($0.latestRequested, time)
            $0.requests += 1
        }
        defer { stats.withLock { $0.inFlight -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing.contains(symbol) { throw UnknownSymbol(symbol: symbol) }
        return try await market.candles(symbol: symbol, timeframe: timeframe, limit: limit, closedBy: time)
    }
}

@Suite struct MarketScannerTests {
    let asOf = Timestamp(parsing: "2018-06-01T12:00:00Z")!

    @Test func ranksActionableSignalsBestFirst() async throws {
        let source = try FakeSource(symbols: 40)
        let scanner = MarketScanner(source: source, strategy: DefaultStrategy(), top: 5)
        let result = try await scanner.scan(at: asOf)
        #expect(result.universe.count == 40)
        #expect(result.results.count == 40)
        let actionable = result.results.filter(\.isActionable).sorted { $0.score > $1.score }
        #expect(result.opportunities.count == min(5, actionable.count))
        #expect(result.opportunities.map(\.score) == actionable.prefix(5).map(\.score))
        #expect(result.opportunities.allSatisfy { $0.signal != .hold && $0.score > 0 })
        #expect(result.opportunities.allSatisfy { $0.dataTime == asOf })
        #expect(source.stats.withLock(\.latestRequested) <= asOf)
    }

    @Test func rankKeepsTheBestInOrderWithTiesBrokenAsDocumented() {
        let instrument = Instrument(symbol: "X", base: "X", quote: "USDT", contractMultiplier: 1, tickSize: 0.01,
                                    maxLeverage: 10)
        func opportunity(_ symbol: String, score: Double, confidence: Double, price: Double) -> Opportunity {
            let result = SignalResult(symbol: symbol, dataTime: asOf, signal: .buy, confidence: confidence,
                                      score: score, regime: .neutral, price: price, bbWidth: 0.04, atr: 1,
                                      momentum: 0, rsi: 50, reasons: [])
            return Opportunity(result: result, price: price, dataTime: asOf, instrument: instrument)
        }
        // Scores from a small set, so ties on score (broken by confidence, then symbol) are common; symbols repeat,
        // so whole ties keep their order (told apart by price). A handful and a large universe take different paths.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let count = Int.random(in: 0...40, using: &generator)
            let opportunities = (0..<count).map { index in
                opportunity("S\(Int.random(in: 0...5, using: &generator))",
                            score: Double(Int.random(in: 0...3, using: &generator)),
                            confidence: Double(Int.random(in: 0...2, using: &generator)) / 2, price: Double(index))
            }
            let sorted = opportunities.sorted {
                ($0.score, $0.confidence, $1.symbol) > ($1.score, $1.confidence, $0.symbol)
            }
            for top in [0, 1, 3, 5, 20, 50] {
                #expect(Opportunity.rank(opportunities, top: top).map(\.price)
                    == sorted.prefix(top).map(\.price))
                // Ranked where they lie (a backtest's), the same.
                var inPlace = opportunities
                Opportunity.rank(&inPlace, top: top)
                #expect(inPlace.map(\.price) == sorted.prefix(top).map(\.price))
            }
        }
    }

    @Test func aFailingSymbolIsSkippedAndTheScanGoesOn() async throws {
        let source = try FakeSource(symbols: 12, failing: ["S3", "S7"])
        let result = try await MarketScanner(source: source, strategy: DefaultStrategy()).scan(at: asOf)
        #expect(result.results.count == 10)
        #expect(Set(result.failures.map(\.symbol)) == ["S3", "S7"])
        #expect(!result.opportunities.contains { ["S3", "S7"].contains($0.symbol) })
    }

    @Test func parallelismIsBounded() async throws {
        let source = try FakeSource(symbols: 30, delay: .milliseconds(2))
        _ = try await MarketScanner(source: source, strategy: DefaultStrategy(), parallelism: 4).scan(at: asOf)
        let stats = source.stats.withLock { $0 }
        #expect(stats.maxInFlight <= 4)
        #expect(stats.maxInFlight >= 2)
        #expect(stats.requests == 30 * 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationStopsAScanPromptly() async throws {
        // Every candle request would take an hour; only cancellation can end this scan.
        let source = try FakeSource(symbols: 50, delay: .seconds(3600))
        let scanner = MarketScanner(source: source, strategy: DefaultStrategy())
        let scan = Task { try await scanner.scan(at: asOf) }
        while source.stats.withLock(\.inFlight) == 0 { await Task.yield() }
        let clock = ContinuousClock()
        let cancelled = clock.now
        scan.cancel()
        await #expect(throws: CancellationError.self) { try await scan.value }
        #expect(clock.now - cancelled < .seconds(5))
        #expect(source.stats.withLock(\.requests) <= 10)
    }

    @Test func scansOfTheEmbeddedMarketAreReproducible() async throws {
        let market = try EmbeddedMarket.load()
        let scanner = MarketScanner(source: market, strategy: DefaultStrategy(), top: 5)
        for at in ["2018-01-15T08:00:00Z", "2018-11-20T00:00:00Z", "2019-06-26T09:30:00Z"] {
            let time = try #require(Timestamp(parsing: at))
            let first = try await scanner.scan(at: time)
            let second = try await scanner.scan(at: time)
            #expect(first.opportunities == second.opportunities)
            #expect(first.universe == EmbeddedMarket.symbols)
        }
    }

    @Test func aCustomStrategyPlugsIn() async throws {
        struct AlwaysBuyFirst: Strategy {
            let name = "always-buy"
            let primary = TimeframeRequirement(timeframe: .oneHour, history: 10, minimum: 5)
            let confirmations: [TimeframeRequirement] = []
            func evaluate(_ view: SymbolView, context: StrategyContext) -> SignalResult {
                SignalResult(symbol: view.symbol, dataTime: view.primary.indicators.time, signal: .buy, confidence: 1,
                             score: view.symbol == "S1" ? 2 : 1, regime: .neutral, price: view.primary.indicators.close,
                             bbWidth: .nan, atr: .nan, momentum: 0, rsi: .nan, reasons: [.note("custom")])
            }
        }
        let source = try FakeSource(symbols: 3)
        let result = try await MarketScanner(source: source, strategy: AlwaysBuyFirst(), top: 2).scan(at: asOf)
        #expect(result.opportunities.map(\.symbol) == ["S1", "S0"])
        #expect(result.opportunities.first?.reasons == [.note("custom")])
        #expect(source.stats.withLock(\.requests) == 3)
    }
}

@Suite struct UniverseFilterTests {
    func instrument(_ base: String, volume: Double, active: Bool = true) -> Instrument {
        Instrument(symbol: base + "USDTM", base: base, quote: "USDT", contractMultiplier: 1, tickSize: 0.01,
                   maxLeverage: 20, quoteVolume24h: volume, isActive: active)
    }

    @Test func keepsLiquidAndMajorInstruments() {
        let all = [instrument("AAA", volume: 2e6), instrument("BBB", volume: 1.5e6), instrument("CCC", volume: 3e6),
                   instrument("DDD", volume: 1e6), instrument("EEE", volume: 5e6), instrument("FFF", volume: 10),
                   instrument("BTC", volume: 10), instrument("GGG", volume: 9e6, active: false)]
        let kept = UniverseFilter().select(all).map(\.base)
        #expect(kept == ["AAA", "BBB", "CCC", "DDD", "EEE", "BTC"])
        #expect(UniverseFilter().keeps(all) == [true, true, true, true, true, false, true, false])
        // Written over a kept buffer (a backtest's, at every scan), longer or shorter than the listing.
        for leftover in [[Bool](), Array(repeating: false, count: 12)] {
            var kept = leftover
            UniverseFilter().keeps(all, isMajor: UniverseFilter().isMajor(all), into: &kept)
            #expect(kept == [true, true, true, true, true, false, true, false])
        }
    }

    @Test func relaxesWhenTooFewRemain() {
        let thin = [instrument("AAA", volume: 600e3), instrument("BBB", volume: 700e3), instrument("CCC", volume: 2e6),
                    instrument("DDD", volume: 550e3), instrument("EEE", volume: 800e3), instrument("FFF", volume: 10)]
        #expect(UniverseFilter().select(thin).map(\.base) == ["AAA", "BBB", "CCC", "DDD", "EEE"])
        let thinner = Array(thin.prefix(3)) + [instrument("ZZZ", volume: 1)]
        #expect(UniverseFilter().select(thinner).count == 4)
    }
}
