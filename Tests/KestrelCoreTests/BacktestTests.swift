import KestrelCore
import KestrelMarketData
import Testing

@Suite struct SMACrossReferenceTests {
    static let btc = EmbeddedMarket.instruments[0]

    /// The reference trade list of backtesting.py 0.6.6 (`shared/data/reference`), trade for trade.
    @Test func matchesBacktestingPyTradeForTrade() throws {
        let candles = try EmbeddedMarket.candles(for: "BTCUSD")
        let backtest = SignalBacktest(instrument: Self.btc, settings: PaperExchangeSettings(
            startingBalance: 10_000_000, takerFee: 0, makerFee: 0, slippage: 0, fundingRate: 0),
            timeframe: .thirtyMinutes)
        let result = backtest.run(SMACrossStrategy(fast: 10, slow: 30), candles: candles)
        let reference = String(decoding: try Fixtures.sharedFile("reference/BTCUSD_30m_smacross_10_30_trades.csv"),
                               as: UTF8.self).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(reference.count == 1425)
        #expect(result.trades.count == reference.count)
        var mismatches = [String]()
        for (trade, row) in zip(result.trades, reference) {
            let expected = (entry: Timestamp(parsing: row[0])!, exit: Timestamp(parsing: row[1])!, side: String(row[2]),
                            entryPrice: Double(row[3])!, exitPrice: Double(row[4])!, returnPct: Double(row[5])!)
            let exitTime = trade.exitTime
            // The reference prints 10 significant digits.
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(abs(b), 1e-3) }
            if trade.entryTime != expected.entry || exitTime != expected.exit || trade.side.rawValue != expected.side
                || !close(trade.entryPrice, expected.entryPrice) || !close(trade.exitPrice, expected.exitPrice)
                || abs(trade.returnPercent - expected.returnPct) > 1e-8 * max(1, abs(expected.returnPct)) {
                mismatches.append("\(row.joined(separator: ",")) vs \(trade)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }
}

@Suite struct SignalBacktestTests {
    struct AlwaysShort: BarStrategy {
        func makeState() -> Int { 0 }
        func decide(after candle: Candle, state: inout Int) -> PositionSide? { .short }
    }

    @Test func aShortThatDoublesIsLiquidatedAndBooked() {
        let instrument = Instrument(symbol: "X", base: "X", quote: "USD", contractMultiplier: 1, tickSize: 0.01,
                                    maxLeverage: 10)
        // Flat, then the price climbs 5% a bar to well past twice the entry.
        var price = 100.0
        let candles = (0..<40).map { i -> Candle in
            let open = price
            if i > 2 { price *= 1.05 }
            return Candle(time: Timestamp(seconds: Int64(i) * 1800), open: open, high: max(open, price) * 1.001,
                          low: min(open, price) * 0.999, close: price, volume: 1)
        }
        let result = SignalBacktest(instrument: instrument, settings: PaperExchangeSettings(
            startingBalance: 1_000, takerFee: 0, makerFee: 0, slippage: 0, fundingRate: 0), timeframe: .thirtyMinutes)
            .run(AlwaysShort(), candles: candles)
        #expect(result.trades.count == 1)
        #expect(result.trades.first?.reason == "liquidation")
        // The whole margin (all of the equity at 1x) is lost, and the books say the same as the wallet.
        #expect(abs(result.finalBalance) < 1e-6)
        #expect(abs((result.trades.first?.pnl ?? 0) + 1_000) < 1e-6)
        #expect(result.equity.allSatisfy { $0.equity >= -1e-6 })
    }
}

@Suite struct EngineBacktestTests {
    /// A backtest keeps every stop move: the spacing that spares a live venue's rate limit does not apply, so the
    /// setting of a live run changes no trade.
    @Test func theStopMoveSpacingOfALiveRunChangesNoTrade() throws {
        let strategy = DefaultStrategy()
        let market = try EmbeddedMarket.load(timeframes: strategy.requirements.map(\.timeframe))
        let from = Timestamp(parsing: "2017-11-01T00:00:00Z")!
        func trades(spacing: Int64) -> [BacktestTrade] {
            let settings = EngineSettings(stopAmendIntervalSeconds: spacing)
            return EngineBacktest(market: market, strategy: strategy, engineSettings: settings,
                                  exchangeSettings: PaperExchangeSettings(), from: from, to: from + 20 * 86_400)
                .run().trades
        }
        let kept = trades(spacing: 0)
        let spaced = trades(spacing: 5)
        #expect(kept.count > 20)
        let differing = zip(kept, spaced).filter { $0.exitTime != $1.exitTime || $0.pnl != $1.pnl }.count
        #expect(spaced.count == kept.count && differing == 0, "\(differing) of \(kept.count) trades differ")
    }
}
