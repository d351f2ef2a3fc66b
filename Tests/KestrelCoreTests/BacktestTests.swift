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
