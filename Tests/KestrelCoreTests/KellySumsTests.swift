@testable import KestrelCore
import Testing

@Suite struct KellySumsTests {
    @Test func theFourLaneSumsAreThoseOfOnePlainPass() {
        var random = SeededGenerator(state: 7)
        for count in 0...210 {
            // Wins, losses and exact zeros (a zero is not a win).
            let returns = (0..<count).map { _ in
                Bool.random(using: &random) ? 0 : Double.random(in: -0.03...0.05, using: &random)
            }
            var winCount = 0, winSum = 0.0, lossSum = 0.0, sum = 0.0
            for value in returns {
                if value > 0 { winCount += 1; winSum += value } else { lossSum += value }
                sum += value
            }
            let mean = count > 0 ? sum / Double(count) : 0
            let squares = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let lanes = RiskManager.sums(returns)
            let scale = returns.reduce(0) { $0 + abs($1) } * 1e-12 + 1e-300
            #expect(lanes.winCount == winCount)
            #expect(abs(lanes.winSum - winSum) <= scale && abs(lanes.lossSum - lossSum) <= scale)
            #expect(abs(lanes.sum - sum) <= scale)
            #expect(abs(RiskManager.squaredDeviations(returns, from: mean) - squares) <= squares * 1e-12 + 1e-300)
        }
    }
}
