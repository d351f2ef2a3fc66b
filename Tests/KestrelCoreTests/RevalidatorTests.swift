@testable import KestrelCore
import Testing

@Suite struct RevalidatorTests {
    static func verdict(_ symbol: String, momentum: Double, rsi: Double) -> SignalResult {
        SignalResult(symbol: symbol, dataTime: Timestamp(seconds: 0), signal: .buy, confidence: 0.8, score: 100,
                     regime: .neutral, price: 1, bbWidth: 0.04, atr: 1, momentum: momentum, rsi: rsi, trendGap: 0.02,
                     reasons: [])
    }

    /// A revalidator that only says what `revalidate` says: the protocol's own `momentumAndRSI` reads it from there.
    struct Plain: SignalRevalidator {
        var verdicts: [String: SignalResult]
        func revalidate(symbol: String, at time: Timestamp) -> SignalResult? { verdicts[symbol] }
    }

    @Test func momentumAndRSIAreThoseOfTheVerdictByDefault() throws {
        let plain = Plain(verdicts: ["AAA": Self.verdict("AAA", momentum: -0.03, rsi: 71)])
        let numbers = try #require(plain.momentumAndRSI(symbol: "AAA", at: Timestamp(seconds: 0)))
        #expect(numbers.momentum == -0.03 && numbers.rsi == 71)
        #expect(plain.momentumAndRSI(symbol: "BBB", at: Timestamp(seconds: 0)) == nil)
    }

    /// The backtest's revalidator answers both questions from the same verdicts, in a universe small enough to be
    /// searched and in one large enough to be hashed.
    @Test func theBacktestsSignalsAnswerMomentumAndRSIFromTheirVerdicts() {
        for count in [3, 40] {
            let symbols = (0..<count).map { "S\($0)" }
            let signals = EngineBacktest<DefaultStrategy>.LatestSignals(symbols: symbols)
            signals.results.withLock { results in
                for index in results.indices where index % 2 == 0 {
                    results[index] = Self.verdict(symbols[index], momentum: Double(index) / 100, rsi: Double(index))
                }
            }
            let time = Timestamp(seconds: 0)
            for (index, symbol) in symbols.enumerated() {
                let verdict = signals.revalidate(symbol: symbol, at: time)
                let numbers = signals.momentumAndRSI(symbol: symbol, at: time)
                #expect((verdict == nil) == (index % 2 == 1))
                #expect(numbers?.momentum == verdict?.momentum && numbers?.rsi == verdict?.rsi)
            }
            #expect(signals.momentumAndRSI(symbol: "unknown", at: time) == nil)
        }
    }
}
