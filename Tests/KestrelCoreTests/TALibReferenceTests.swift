import KestrelCore
import KestrelMarketData
import Testing

/// The indicators against TA-Lib 0.8.2 on the embedded BTCUSD series (`shared/data/reference/BTCUSD_30m_talib.csv`).
@Suite struct TALibReferenceTests {
    static func column(_ snapshot: IndicatorSnapshot, _ name: String) -> Double {
        switch name {
        case "sma20": snapshot.sma20
        case "sma50": snapshot.sma50
        case "ema12": snapshot.ema12
        case "ema26": snapshot.ema26
        case "macd": snapshot.macd
        case "macd_signal": snapshot.macdSignal
        case "macd_hist": snapshot.macdHistogram
        case "rsi14": snapshot.rsi14
        case "stoch_k": snapshot.stochK
        case "stoch_d": snapshot.stochD
        case "bb_upper": snapshot.bbUpper
        case "bb_middle": snapshot.bbMiddle
        case "bb_lower": snapshot.bbLower
        case "atr14": snapshot.atr14
        case "roc10": snapshot.roc10
        case "volume_sma20": snapshot.volumeSMA20
        default: .nan
        }
    }

    @Test func everyValueMatchesTALibAfterWarmUp() throws {
        let candles = try EmbeddedMarket.candles(for: "BTCUSD")
        let reference = Fixtures.referenceColumns(try Fixtures.sharedFile("reference/BTCUSD_30m_talib.csv"))
        #expect(reference.times.count == candles.count)
        let table = IndicatorTable(candles: candles)
        var compared = 0
        var worst = [String: Double]()
        for name in reference.header.dropFirst() {
            let expected = try #require(reference.columns[name])
            for index in 300..<candles.count {
                let want = expected[index]
                let got = Self.column(table.rows[index], name)
                #expect(!want.isNaN, "reference \(name) empty at row \(index)")
                // Relative error, with a floor of 1 for values that are rounding residue around zero (TA-Lib's own
                // running sums leave %D at -3.7e-14 where every %K is 0).
                let error = (got - want).magnitude / max(want.magnitude, 1)
                worst[name] = max(worst[name] ?? 0, error.isNaN ? .infinity : error)
                compared += 1
            }
        }
        for (name, error) in worst.sorted(by: { $0.key < $1.key }) {
            #expect(error <= 1e-9, "\(name): worst relative error \(error)")
        }
        #expect(compared == 16 * (candles.count - 300))
    }

    @Test func warmUpMatchesTALibLookback() throws {
        let candles = try EmbeddedMarket.candles(for: "BTCUSD")
        let reference = Fixtures.referenceColumns(try Fixtures.sharedFile("reference/BTCUSD_30m_talib.csv"))
        let table = IndicatorTable(candles: Array(candles.prefix(300)))
        for name in reference.header.dropFirst() {
            let expected = try #require(reference.columns[name])
            let firstReference = expected.firstIndex { !$0.isNaN }
            let firstOurs = table.rows.firstIndex { !Self.column($0, name).isNaN }
            #expect(firstReference == firstOurs, "\(name) starts at a different bar")
        }
    }
}
