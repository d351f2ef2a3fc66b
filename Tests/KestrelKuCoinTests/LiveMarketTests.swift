import Foundation
import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Logging
import Synchronization
import Testing

/// The live market: history loaded once over REST, then candles from the stream; a scan costs no request, and a
/// symbol left behind is skipped, never traded.
@Suite struct LiveMarketTests {
    static let now = RESTClientTests.now
    static let hour: Int64 = 3_600

    static func fake(symbols: Int) -> FakeKuCoin {
        FakeKuCoin(market: .synthetic(symbols: symbols, start: now - 900 * 3_600_000, hours: 901), clock: { now })
    }

    /// Runs `body` with a live market warmed up at the fake's `now` over `symbols` symbols.
    static func withWarmMarket(symbols: Int, logger: Logger = Logger(label: "kestrel.kucoin.live"),
                               _ body: (KuCoinLiveMarket, Timestamp) async throws -> Void) async throws {
        let nowTime = Timestamp(seconds: now / 1_000)
        try await fake(symbols: symbols).serve { url in
            try await RESTClientTests.withClient(url) { client in
                let live = KuCoinLiveMarket(rest: KuCoinMarketData(client: client),
                                            requirements: DefaultStrategy().requirements, logger: logger)
                try await live.warmUp(at: nowTime)
                try await body(live, nowTime)
            }
        }
    }

    @Test func aScanOnStreamedCandlesCostsNoRequest() async throws {
        let fake = Self.fake(symbols: 6)
        let nowTime = Timestamp(seconds: Self.now / 1_000)
        let (requestsAfterWarmUp, requestsAfterScans, result) = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let live = KuCoinLiveMarket(rest: KuCoinMarketData(client: client),
                                            requirements: DefaultStrategy().requirements)
                let loaded = try await live.warmUp(at: nowTime)
                #expect(loaded.count == 6)
                let afterWarmUp = client.requests.total
                let scanner = MarketScanner(source: live, strategy: DefaultStrategy(), top: 5)
                var result = try await scanner.scan(at: nowTime)
                // An hour of pushes, then the next scan.
                for symbol in loaded {
                    let last = try #require(live.latest(symbol).closed)
                    let next = Candle(time: last.time + Self.hour, open: last.close, high: last.close * 1.01,
                                      low: last.close * 0.99, close: last.close * 1.005, volume: 100)
                    live.apply(.candle(symbol: symbol, timeframe: .oneHour, candle: next))
                }
                #expect(live.closeDue(by: nowTime + Self.hour).count == 6)
                result = try await scanner.scan(at: nowTime + Self.hour)
                return (afterWarmUp, client.requests.total, result)
            }
        }
        // The listing, then 1h, 4h and 1d history for each of the six symbols.
        #expect(requestsAfterWarmUp == 1 + 6 * 3)
        #expect(requestsAfterScans == requestsAfterWarmUp)
        #expect(result.skipped.isEmpty)
        #expect(result.results.count == 6)
    }

    @Test func aScanReadsIndicatorsKeptCurrentByTheStream() async throws {
        try await Self.withWarmMarket(symbols: 4) { live, nowTime in
            let strategy = DefaultStrategy()
            let scanner = MarketScanner(source: live, strategy: strategy, top: 5)
            var time = nowTime
            for _ in 0..<30 {
                for symbol in live.symbols {
                    let last = try #require(live.latest(symbol).closed)
                    let next = Candle(time: last.time + Self.hour, open: last.close, high: last.close * 1.02,
                                      low: last.close * 0.985, close: last.close * 1.01, volume: 100)
                    live.apply(.candle(symbol: symbol, timeframe: .oneHour, candle: next))
                }
                time = time + Self.hour
                live.closeDue(by: time)
                let result = try await scanner.scan(at: time)
                #expect(result.results.count == 4)
                for scanned in result.results {
                    // The state the stream kept is the one the candles held give when computed afresh.
                    let held = try strategy.requirements.map {
                        try #require(live.heldCandles(scanned.symbol, timeframe: $0.timeframe, limit: .max,
                                                      closedBy: time))
                    }
                    let cold = SymbolAnalyzer(symbol: scanned.symbol, requirements: strategy.requirements,
                                              candles: held)
                    #expect(scanned == cold.evaluate(strategy, context: scanner.context))
                    let analysis = try live.analysis(of: scanned.symbol, strategy: strategy,
                                                     context: scanner.context, at: time)
                    guard case .evaluated(let streamed)? = analysis else {
                        Issue.record("the scan was not answered from the kept state")
                        return
                    }
                    #expect(streamed == scanned)
                }
            }
            // Asked for an earlier moment than its state, the market leaves the scan to compute afresh.
            #expect(try live.analysis(of: "XBTUSDTM", strategy: strategy, context: scanner.context,
                                      at: time - Self.hour + 1) == nil)
        }
    }

    @Test func aNewLookAtTheListingStreamsNewContractsAndDropsDelistedOnes() async throws {
        let fake = Self.fake(symbols: 5)
        let nowTime = Timestamp(seconds: Self.now / 1_000)
        // C4USDTM is not listed yet at the warm-up.
        let later = try #require(fake.market.contracts.last)
        fake.updateMarket { $0.contracts.removeLast() }
        try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let live = KuCoinLiveMarket(rest: KuCoinMarketData(client: client),
                                            requirements: DefaultStrategy().requirements)
                try await live.warmUp(at: nowTime)
                #expect(live.symbols == ["C2USDTM", "C3USDTM", "ETHUSDTM", "XBTUSDTM"])
                let unchanged = try await live.refresh(at: nowTime)
                #expect(unchanged.isEmpty)
                // C4 is listed; ETH's contract is no longer open.
                fake.updateMarket { market in
                    market.contracts.append(later)
                    market.contracts[1].status = "Paused"
                }
                let before = client.requests.total
                let change = try await live.refresh(at: nowTime)
                #expect(change == .init(added: ["C4USDTM"], delisted: ["ETHUSDTM"]))
                // The listing, then C4's three histories; nothing for the symbols already held.
                #expect(client.requests.total - before == 1 + 3)
                #expect(live.symbols == ["C2USDTM", "C3USDTM", "C4USDTM", "XBTUSDTM"])
                #expect(live.heldInstruments.map(\.symbol).sorted() == live.symbols)
                let scan = try await MarketScanner(source: live, strategy: DefaultStrategy(), top: 5).scan(at: nowTime)
                #expect(Set(scan.results.map(\.symbol) + scan.skipped.map(\.symbol)) == Set(live.symbols))
            }
        }
    }

    @Test func anHourThatEndedDuringTheWarmUpIsFilledInOverREST() async throws {
        // The fake's clock moves: the warm-up is at `now`, the stream's first push an hour and five minutes later.
        let fakeNow = Mutex(Self.now)
        let fake = FakeKuCoin(market: .synthetic(symbols: 1, start: Self.now - 900 * 3_600_000, hours: 902),
                              clock: { fakeNow.withLock { $0 } })
        let nowTime = Timestamp(seconds: Self.now / 1_000)
        let hourStart = Timestamp(seconds: nowTime.seconds / Self.hour * Self.hour)
        try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let live = KuCoinLiveMarket(rest: KuCoinMarketData(client: client),
                                            requirements: DefaultStrategy().requirements)
                try await live.warmUp(at: nowTime)
                #expect(live.latest("XBTUSDTM").closed?.time == hourStart - Self.hour)
                let later = hourStart + Self.hour + 300
                fakeNow.withLock { $0 = later.seconds * 1_000 }
                // The hour under way at the warm-up ended unseen; the first push is of the next one.
                let next = Candle(time: hourStart + Self.hour, open: 100, high: 101, low: 99, close: 100, volume: 5)
                live.apply(.candle(symbol: "XBTUSDTM", timeframe: .oneHour, candle: next), now: later)
                let scanner = MarketScanner(source: live, strategy: DefaultStrategy(), top: 5)
                #expect(try await scanner.scan(at: later).results.isEmpty)
                await live.fillGaps(closedBy: later)
                #expect(live.latest("XBTUSDTM").closed?.time == hourStart)
                #expect(try await scanner.scan(at: later).results.count == 1)
            }
        }
    }

    @Test func aSymbolLeftBehindIsSkippedUntilItsCandlesCatchUp() async throws {
        let log = CapturedLog()
        try await Self.withWarmMarket(symbols: 3, logger: log.logger) { live, nowTime in
            let scanner = MarketScanner(source: live, strategy: DefaultStrategy(), top: 5)
            // Two hours later with no push at all: every symbol is behind.
            let later = nowTime + 2 * Self.hour
            let stale = try await scanner.scan(at: later)
            #expect(stale.results.isEmpty)
            #expect(stale.skipped.count == 3)
            #expect(stale.skipped.allSatisfy { if case .stale = $0.reason { true } else { false } })
            #expect(live.staleSkips == 3)
            // Each symbol behind is logged once for its missing candle, however many scans skip it.
            _ = try await scanner.scan(at: later + 60)
            #expect(live.staleSkips == 6)
            #expect(log.messages.filter { $0.hasPrefix("candles behind") }.count == 3)
            // The gap is filled over REST (the fake's clock stands still, so its newest candles are the ones
            // the warm-up had): still behind, still skipped.
            await live.fillGaps(closedBy: later)
            #expect(try await scanner.scan(at: later).results.isEmpty)
        }
    }

    @Test func aCandlePushThatBreaksTheRulesOrLiesInTheFutureIsDropped() async throws {
        try await Self.withWarmMarket(symbols: 1) { live, nowTime in
            let before = live.latest("XBTUSDTM")
            let broken = Candle(time: nowTime, open: 10, high: 5, low: 20, close: 10, volume: 1)
            live.apply(.candle(symbol: "XBTUSDTM", timeframe: .oneHour, candle: broken))
            #expect(live.latest("XBTUSDTM").forming == before.forming)
            // A candle of a day to come would hold back every real one after it.
            let future = Candle(time: nowTime + 86_400, open: 10, high: 11, low: 9, close: 10, volume: 1)
            live.apply(.candle(symbol: "XBTUSDTM", timeframe: .oneHour, candle: future), now: nowTime)
            #expect(live.latest("XBTUSDTM").forming == before.forming)
            // The hour under way is taken.
            let current = Candle(time: Timestamp(seconds: nowTime.seconds / 3_600 * 3_600), open: 10, high: 11,
                                 low: 9, close: 10.5, volume: 1)
            live.apply(.candle(symbol: "XBTUSDTM", timeframe: .oneHour, candle: current), now: nowTime)
            #expect(live.latest("XBTUSDTM").forming == current)
        }
    }
}

/// A logger whose messages a test reads back.
final class CapturedLog: Sendable {
    private let lines = Mutex([String]())

    var messages: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.lines.withLock { $0.append("\(event.message)") }
        }
    }
}
