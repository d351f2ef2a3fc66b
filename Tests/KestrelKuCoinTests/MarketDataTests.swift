import Foundation
import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Testing

/// Contracts and candles from the fake KuCoin, as Kestrel's instruments and candles, and a scan over them.
@Suite struct MarketDataTests {
    static let now = RESTClientTests.now

    @Test func contractsBecomeInstrumentsInLotsWithXBTReadAsBTC() async throws {
        let fake = RESTClientTests.fake()
        fake.updateMarket { market in
            var inverse = market.contracts[2]
            inverse.symbol = "XBTUSDM"
            inverse.isInverse = true
            inverse.quoteCurrency = "USD"
            var quarterly = market.contracts[1]
            quarterly.symbol = "XBTMZ26"
            quarterly.type = "FFICSX"
            var paused = market.contracts[2]
            paused.symbol = "PAUSEDUSDTM"
            paused.status = "Paused"
            market.contracts += [inverse, quarterly, paused]
        }
        let listing = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { try await KuCoinMarketData(client: $0).listing() }
        }
        #expect(listing.instruments.map(\.symbol) == ["XBTUSDTM", "ETHUSDTM", "C2USDTM", "PAUSEDUSDTM"])
        #expect(listing.otherKinds == 2)
        #expect(listing.rejected.isEmpty)
        let bitcoin = try #require(listing.instruments.first)
        #expect(bitcoin.base == "BTC")
        #expect(bitcoin.quote == "USDT")
        #expect(bitcoin.contractMultiplier == 0.001)
        #expect(bitcoin.tickSize == 0.1)
        #expect(bitcoin.lotSize == 1)
        #expect(bitcoin.maxLeverage == 75)
        #expect(bitcoin.quoteVolume24h == 5_000_000)
        #expect(listing.instruments.last?.isActive == false)
        #expect(listing.fees["ETHUSDTM"]?.taker == 0.0006)
    }

    @Test func aContractWithABadFieldIsLeftOutNamingTheFieldAndTheRestAreKept() async throws {
        let fake = RESTClientTests.fake()
        fake.inject(.body("""
            {"code":"200000","data":[
              {"symbol":"XBTUSDTM","type":"FFWCSX","baseCurrency":"XBT","quoteCurrency":"USDT","multiplier":"0.001",
               "lotSize":1,"tickSize":"0.1","maxLeverage":125,"turnoverOf24h":"123.5","status":"Open","isInverse":false},
              {"symbol":"BADUSDTM","type":"FFWCSX","baseCurrency":"BAD","quoteCurrency":"USDT","multiplier":"lots",
               "tickSize":0.1,"status":"Open"},
              {"symbol":"NOMULTUSDTM","type":"FFWCSX","baseCurrency":"NOMULT","quoteCurrency":"USDT","tickSize":0.1,
               "status":"Open"},
              {"type":"FFWCSX"},
              "not an object"
            ]}
            """), on: "/api/v1/contracts/active")
        let listing = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { try await KuCoinMarketData(client: $0).listing() }
        }
        #expect(listing.instruments.map(\.symbol) == ["XBTUSDTM"])
        #expect(listing.instruments.first?.contractMultiplier == 0.001)
        #expect(listing.instruments.first?.quoteVolume24h == 123.5)
        let reasons = listing.rejected.map { "\($0.symbol): \($0.reason)" }
        #expect(reasons.count == 4)
        #expect(reasons.contains { $0.hasPrefix("data[1]") && $0.contains("multiplier") && $0.contains("lots") })
        #expect(reasons.contains { $0.hasPrefix("NOMULTUSDTM") && $0.contains("multiplier missing") })
        #expect(reasons.contains { $0.hasPrefix("data[3]") && $0.contains("symbol") })
    }

    @Test func candlesArePagedClosedOnlyAndInOrder() async throws {
        let fake = RESTClientTests.fake()
        // The fake's clock stands 20 minutes into an hour: that hour's candle is still forming.
        let closedBy = Timestamp(seconds: Self.now / 1_000)
        let candles = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                try await KuCoinMarketData(client: client).candles(symbol: "ETHUSDTM", timeframe: .oneHour,
                                                                   limit: 450, closedBy: closedBy)
            }
        }
        #expect(candles.count == 450)
        #expect(zip(candles, candles.dropFirst()).allSatisfy { $1.time.seconds - $0.time.seconds == 3_600 })
        let last = try #require(candles.last)
        #expect(last.time.seconds + 3_600 <= closedBy.seconds)
        #expect(closedBy.seconds - last.time.seconds < 7_200)
        let klines = fake.received.filter { $0.path == "/api/v1/kline/query" }
        #expect(klines.count == 3)
        #expect(klines.allSatisfy { $0.query["granularity"] == "60" && $0.query["symbol"] == "ETHUSDTM" })
    }

    @Test func fourHourAndDailyCandlesComeFromTheirOwnGranularity() async throws {
        let fake = RESTClientTests.fake()
        let closedBy = Timestamp(seconds: Self.now / 1_000)
        let (fourHours, days) = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let market = KuCoinMarketData(client: client)
                return (try await market.candles(symbol: "XBTUSDTM", timeframe: .fourHours, limit: 50, closedBy: closedBy),
                        try await market.candles(symbol: "XBTUSDTM", timeframe: .oneDay, limit: 20, closedBy: closedBy))
            }
        }
        #expect(fourHours.count == 50)
        #expect(fourHours.allSatisfy { $0.time.seconds % 14_400 == 0 })
        #expect(days.count == 20)
        #expect(days.allSatisfy { $0.time.seconds % 86_400 == 0 })
        #expect(Set(fake.received.compactMap { $0.query["granularity"] }) == ["240", "1440"])
    }

    @Test func rowsThatAreNotCandlesAreDroppedAndTheRestKept() async throws {
        let fake = RESTClientTests.fake()
        let hour: Int64 = 3_600_000
        let base = (Self.now / hour - 5) * hour
        fake.inject(.body("""
            {"code":"200000","data":[
              [\(base), 10, 11, 9, 10.5, 100],
              [\(base + hour), 10, 9, 11, 10.5, 100],
              [\(base + 2 * hour), "10", "12", "9", "11", "50"],
              [\(base + 3 * hour), 10, 11, 9],
              [\(base + 4 * hour + 17), 10, 11, 9, 10, 1],
              [\(base + 2 * hour), 10, 12, 9, 11, 50],
              [\(base + 3 * hour), -1, 11, 9, 10, 1],
              null
            ]}
            """), on: "/api/v1/kline/query")
        let candles = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                try await KuCoinMarketData(client: client).candles(
                    symbol: "ETHUSDTM", timeframe: .oneHour, from: Timestamp(seconds: base / 1_000),
                    to: Timestamp(seconds: (base + 5 * hour) / 1_000))
            }
        }
        #expect(candles.map(\.time.seconds) == [base / 1_000, (base + 2 * hour) / 1_000])
        #expect(candles.last?.close == 11)
    }

    @Test func aScanOverTheFakeRanksItsMarketWithThreeCandleRequestsASymbol() async throws {
        let market = FakeMarket.synthetic(symbols: 12, start: Self.now - 800 * 3_600_000, hours: 801)
        let fake = FakeKuCoin(market: market, clock: { Self.now })
        let (result, tally) = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let scanner = MarketScanner(source: KuCoinMarketData(client: client), strategy: DefaultStrategy(),
                                            top: 5)
                return (try await scanner.scan(at: Timestamp(seconds: Self.now / 1_000)), client.requests)
            }
        }
        #expect(result.skipped.isEmpty)
        #expect(result.results.count == 12)
        #expect(tally.byEndpoint["GET /api/v1/contracts/active"] == 1)
        #expect(tally.byEndpoint["GET /api/v1/kline/query"] == 36)
    }
}
