import Foundation
import KestrelCore
import Testing

struct InstrumentTests {
    /// Rounding as it was worked out at every call: the tick's decimal places found again each time.
    static func reference(_ price: Double, toTick tickSize: Double) -> Double {
        let ticks = (price / tickSize).rounded()
        var places = 0
        var value = tickSize
        while places < 15, (value - value.rounded()).magnitude > 1e-9 * max(1, value.magnitude) {
            value *= 10
            places += 1
        }
        guard places > 0, places <= 15 else { return ticks * tickSize }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (ticks * (tickSize * scale).rounded()) / scale
    }

    @Test func pricesRoundToTheTickAsTheyAlwaysDid() throws {
        var generator = SystemRandomNumberGenerator()
        for tick in [1, 0.5, 0.1, 0.01, 0.05, 0.001, 0.0001, 0.00001, 1e-8, 25, 0.3] {
            var instrument = Instrument(symbol: "X", base: "X", quote: "USDT", contractMultiplier: 1, tickSize: 1,
                                        maxLeverage: 10)
            instrument.tickSize = tick
            let decoded = try JSONDecoder().decode(Instrument.self, from: JSONEncoder().encode(instrument))
            #expect(decoded == instrument)
            for _ in 0..<500 {
                let price = Double.random(in: 0.00001...120_000, using: &generator)
                let expected = Self.reference(price, toTick: tick)
                #expect(instrument.roundToTick(price) == expected, "price \(price), tick \(tick)")
                #expect(decoded.roundToTick(price) == expected && Instrument.round(price, toTick: tick) == expected)
            }
        }
        #expect(Instrument.round(0.1 + 0.2, toTick: 0.1) == 0.3)
        #expect(Instrument.round(101.237, toTick: 0.05) == 101.25)
    }
}
