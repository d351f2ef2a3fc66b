import KestrelCore
import Testing

/// A small seeded generator so that a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var z = state
        z = (z ^ (z >> 33)) &* 0xff51afd7ed558ccd
        return z ^ (z >> 33)
    }
}

@Suite struct RiskPropertyTests {
    @Test func sizedLossAtTheStopNeverExceedsTheRiskBudget() {
        var random = SeededGenerator(state: 42)
        for _ in 0..<5000 {
            let settings = RiskSettings(maxOpenPositions: 3, leverage: Int.random(in: 1...50, using: &random),
                                        riskPerTrade: Double.random(in: 0.001...0.05, using: &random),
                                        maxPositionSize: Double.random(in: 0.05...1, using: &random))
            let manager = RiskManager(settings: settings)
            let instrument = Instrument(symbol: "X", base: "X", quote: "USDT",
                                        contractMultiplier: [0.001, 0.01, 0.1, 1, 10, 100].randomElement(using: &random)!,
                                        lotSize: Int.random(in: 1...5, using: &random), tickSize: 0.01, maxLeverage: 100)
            let equity = Double.random(in: 10...1_000_000, using: &random)
            let price = Double.random(in: 0.001...100_000, using: &random)
            let stop = RiskManager.stopDistance(volatility: Double.random(in: 0...0.3, using: &random))
            let risk = Double.random(in: 0.005...0.035, using: &random)
            let leverage = Int.random(in: 1...settings.leverage, using: &random)
            let available = equity * Double.random(in: 0...1, using: &random)
            guard let lots = manager.lots(equity: equity, risk: risk, price: price, stopDistance: stop,
                                          leverage: leverage, availableMargin: available, takerFee: 0.0006,
                                          instrument: instrument) else { continue }
            let notional = Double(lots) * instrument.contractMultiplier * price
            #expect(lots % instrument.lotSize == 0)
            #expect(notional * (stop + 2 * 0.0006) <= equity * risk * (1 + 1e-9))
            #expect(notional / Double(leverage) <= min(available, equity * settings.maxPositionSize) * (1 + 1e-9))
        }
    }

    @Test func leverageKeepsTheStopInsideLiquidation() {
        var random = SeededGenerator(state: 7)
        for _ in 0..<5000 {
            let configured = Int.random(in: 1...125, using: &random)
            let manager = RiskManager(settings: RiskSettings(leverage: configured))
            let volatility = Double.random(in: 0...0.3, using: &random)
            let stop = RiskManager.stopDistance(volatility: volatility)
            #expect((0.015...0.08).contains(stop))
            var state = RiskState(equity: 10_000, time: Timestamp(seconds: 0))
            state.winStreak = Int.random(in: 0...6, using: &random)
            state.lossStreak = state.winStreak == 0 ? Int.random(in: 0...6, using: &random) : 0
            let inputs = RiskManager.LeverageInputs(
                volatility: volatility, confidence: Double.random(in: 0.5...1, using: &random),
                momentum: Double.random(in: -0.1...0.1, using: &random),
                trendGap: Double.random(in: 0...0.2, using: &random),
                regime: Regime.allCases.randomElement(using: &random)!)
            let instrumentMax = Int.random(in: 1...125, using: &random)
            let equity = Double.random(in: 5_000...20_000, using: &random)
            guard let leverage = manager.leverage(inputs, state: state, equity: equity, stopDistance: stop,
                                                  instrumentMax: instrumentMax) else { continue }
            #expect(leverage >= 1 && leverage <= min(configured, instrumentMax))
            for side in [PositionSide.long, .short] {
                let liquidation = PaperExchange.liquidationPrice(side: side, entry: 100, leverage: leverage,
                                                                 maintenanceRate: 0.005)
                let stopPrice = 100 * (1 - side.sign * stop)
                #expect(side == .long ? stopPrice > liquidation : stopPrice < liquidation)
            }
        }
    }

    @Test func riskFractionStaysInItsBounds() {
        var random = SeededGenerator(state: 99)
        let manager = RiskManager(settings: RiskSettings(riskPerTrade: 0.02))
        for _ in 0..<2000 {
            var state = RiskState(equity: 10_000, time: Timestamp(seconds: 0))
            state.tradeReturns = (0..<Int.random(in: 0...60, using: &random)).map { _ in
                Double.random(in: -0.03...0.05, using: &random)
            }
            state.lossStreak = Int.random(in: 0...5, using: &random)
            let fraction = manager.riskFraction(state: state, equity: Double.random(in: 5_000...10_000, using: &random))
            #expect((0.005...0.035).contains(fraction))
        }
        // Drawdown halves the risk above 20%.
        let state = RiskState(equity: 10_000, time: Timestamp(seconds: 0))
        #expect(manager.riskFraction(state: state, equity: 7_500) == 0.01)
        #expect(manager.riskFraction(state: state, equity: 8_400) == 0.015)
    }

    @Test func drawdownIsMeasuredOnEquityAndTheDayResetsAtMidnight() {
        var state = RiskState(equity: 10_000, time: Timestamp(parsing: "2019-06-01T12:00:00Z")!)
        state.observe(equity: 12_000, at: Timestamp(parsing: "2019-06-01T13:00:00Z")!)
        #expect(abs(state.drawdown(equity: 9_000) - 0.25) < 1e-12)
        #expect(abs(state.dailyLoss(equity: 9_500) - 0.05) < 1e-12)
        state.observe(equity: 9_500, at: Timestamp(parsing: "2019-06-02T00:00:01Z")!)
        #expect(state.dailyLoss(equity: 9_500) == 0)
    }

    @Test func balanceTiersFollowTheOriginal() {
        #expect(RiskSettings.tier(forBalance: 50) == (5, 0.30, 0.01))
        #expect(RiskSettings.tier(forBalance: 500).leverage == 7)
        #expect(RiskSettings.tier(forBalance: 5_000).leverage == 10)
        #expect(RiskSettings.tier(forBalance: 50_000).leverage == 12)
        #expect(RiskSettings.tier(forBalance: 500_000).riskPerTrade == 0.03)
    }

    /// Random markets through the whole engine and paper exchange: never more positions than allowed, every
    /// exchange stop inside its liquidation price, every order id used once, and cash equal to the exchange's wallet.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func engineInvariantsHoldOnRandomMarkets(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        let maxOpen = Int.random(in: 1...4, using: &random)
        var h = EngineHarness(settings: EngineSettings(risk: RiskSettings(maxOpenPositions: maxOpen,
                                                                          symbolCooldownSeconds: 600)))
        let symbols = EngineHarness.instruments.map(\.symbol)
        var prices = Dictionary(uniqueKeysWithValues: symbols.map { ($0, 100.0) })
        var time = EngineHarness.t0
        for step in 0..<3000 {
            time = time + 60
            let symbol = symbols.randomElement(using: &random)!
            prices[symbol]! *= 1 + Double.random(in: -0.02...0.02, using: &random)
            h.price(symbol, prices[symbol]!, at: time)
            if step % 5 == 0 { h.send(.tick(time), at: time) }
            if step % 30 == 0 {
                let chosen = symbols.filter { _ in Bool.random(using: &random) }
                for s in chosen {
                    h.signals.set(s, Bool.random(using: &random) ? .buy : .sell,
                                  bbWidth: Double.random(in: 0.005...0.15, using: &random))
                }
                h.snapshot(chosen.map { s in
                    h.opportunity(s, h.signals.revalidate(symbol: s, at: time)!.signal, price: prices[s]!,
                                  score: Double.random(in: 1...200, using: &random))
                }, at: time)
            }
            #expect(h.desk.engine.positions.count <= maxOpen)
            #expect(h.desk.exchange.positions.count <= maxOpen)
            for stop in h.desk.exchange.restingOrders {
                guard case .stopMarket(let trigger) = stop.kind, let position = h.desk.exchange.positions[stop.symbol],
                      let liquidation = h.desk.exchange.liquidationPrice(stop.symbol) else { continue }
                #expect(position.side == .long ? trigger > liquidation : trigger < liquidation)
            }
        }
        #expect(Set(h.submitted.map(\.id)).count == h.submitted.count)
        #expect(abs(h.desk.engine.cash - h.desk.exchange.wallet) < 1e-6)
        // The engine's equity, valued from its own record of positions and prices, is the exchange's.
        #expect(abs(h.desk.engine.equity - h.desk.exchange.equity) < 1e-6 * h.desk.exchange.equity)
        #expect(h.desk.engine.statistics.tradesOpened > 0)
        #expect(h.desk.engine.statistics.closedTrades.count + h.desk.engine.positions.count
            == h.desk.engine.statistics.tradesOpened)
    }
}
