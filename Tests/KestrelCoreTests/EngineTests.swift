import KestrelCore
import Synchronization
import Testing

/// Confirms whatever it is asked about with a fixed verdict, or refuses, as a test needs.
final class StubRevalidator: SignalRevalidator {
    let verdicts = Mutex<[String: SignalResult]>([:])

    func set(_ symbol: String, _ signal: Signal, bbWidth: Double = 0.04, momentum: Double = 0.01, rsi: Double = 50) {
        verdicts.withLock {
            $0[symbol] = SignalResult(symbol: symbol, dataTime: Timestamp(seconds: 0), signal: signal, confidence: 0.8,
                                      score: signal == .hold ? 0 : 100, regime: .neutral, price: 0, bbWidth: bbWidth,
                                      atr: 1, momentum: momentum, rsi: rsi, trendGap: 0.02, reasons: [])
        }
    }

    func revalidate(symbol: String, at time: Timestamp) -> SignalResult? { verdicts.withLock { $0[symbol] } }
}

struct EngineHarness {
    static let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!
    static let instruments = ["AAA", "BBB", "CCC", "DDD", "EEE"].map {
        Instrument(symbol: "\($0)USDT", base: $0, quote: "USDT", contractMultiplier: 0.01, tickSize: 0.01,
                   maxLeverage: 50)
    }

    var desk: PaperDesk
    let signals = StubRevalidator()
    var notes: [EngineNote] = []
    var submitted: [OrderRequest] = []
    var sequence = 0

    init(settings: EngineSettings = EngineSettings(), balance: Double = 10_000) {
        let engine = TradingEngine(settings: settings, instruments: Self.instruments, startingCash: balance,
                                   revalidator: signals, startTime: Self.t0,
                                   runID: RunID(startedAt: Self.t0, entropy: 0))
        desk = PaperDesk(engine: engine, exchange: PaperExchange(
            instruments: Self.instruments, settings: PaperExchangeSettings(startingBalance: balance, slippage: 0,
                                                                            fundingRate: 0)))
    }

    func opportunity(_ symbol: String, _ signal: Signal = .buy, price: Double = 100, score: Double = 100) -> Opportunity {
        let instrument = Self.instruments.first { $0.symbol == symbol }!
        let result = SignalResult(symbol: symbol, dataTime: Self.t0, signal: signal, confidence: 0.8, score: score,
                                  regime: .neutral, price: price, bbWidth: 0.04, atr: 1, momentum: 0.01, rsi: 50,
                                  reasons: [])
        return Opportunity(result: result, price: price, dataTime: Self.t0, instrument: instrument)
    }

    mutating func price(_ symbol: String, _ price: Double, at time: Timestamp) {
        var orders = [OrderRequest]()
        notes += desk.price(symbol, price, at: time) { orders.append($0) }.notes
        submitted += orders
    }

    mutating func send(_ event: EngineEvent, at time: Timestamp) {
        var orders = [OrderRequest]()
        notes += desk.handle(event, at: time) { orders.append($0) }.notes
        submitted += orders
    }

    mutating func snapshot(_ opportunities: [Opportunity], at time: Timestamp) {
        sequence += 1
        send(.snapshot(ScanSnapshot(sequence: sequence, opportunities: opportunities, scanStarted: time,
                                    scanFinished: time)), at: time)
    }

    /// Opens a long on `symbol` at 100 the way the engine does: a price, then a scan that signals it.
    mutating func openLong(_ symbol: String = "AAAUSDT") {
        signals.set(symbol, .buy)
        price(symbol, 100, at: Self.t0)
        snapshot([opportunity(symbol)], at: Self.t0)
    }

    var entries: [OrderRequest] { submitted.filter { $0.purpose == .entry } }
    var closed: [ClosedTrade] { desk.engine.statistics.closedTrades }
}

@Suite struct TradingEngineTests {
    let t0 = EngineHarness.t0

    @Test func entersSizesByRiskAndPlacesTheStopOnTheExchange() throws {
        var h = EngineHarness()
        h.openLong()
        let entry = try #require(h.entries.first)
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        // Stop distance for width 0.04: 2.5% + 2 x 4% = 10.5%, clamped to 8%.
        #expect(abs(position.stopDistance - 0.08) < 1e-12)
        #expect(position.stopPrice == 92)
        #expect(position.takeProfitPrice == 116)
        // The stop rests on the exchange, reduce-only, for the whole position.
        let stop = try #require(h.desk.exchange.restingOrders.first)
        #expect(stop.reduceOnly && stop.lots == entry.lots && stop.kind == .stopMarket(trigger: 92))
        // Loss at the stop (with fees both ways) is at most equity x risk, and one more lot would exceed it.
        let risk = h.desk.engine.riskManager.riskFraction(state: h.desk.engine.risk, equity: 10_000)
        let lossPerLot = 0.01 * 100 * (0.08 + 2 * 0.0006)
        #expect(Double(entry.lots) * lossPerLot <= 10_000 * risk + 1e-9)
        #expect(Double(entry.lots + 1) * lossPerLot > 10_000 * risk)
        // The stop is well inside the liquidation price.
        let liquidation = PaperExchange.liquidationPrice(side: .long, entry: 100, leverage: entry.leverage,
                                                         maintenanceRate: 0.005)
        #expect(position.stopPrice > liquidation)
    }

    @Test func orderIDsContinueAboveAReservedNumber() throws {
        var h = EngineHarness()
        h.desk.engine.reserveOrderNumbers(through: 41)
        h.openLong()
        let run = h.desk.engine.runID
        #expect(try #require(h.entries.first).id.rawValue == "kst-\(run.text)-42-e-AAAUSDT")
    }

    @Test func neverEntersTheSameOpportunityTwice() {
        var h = EngineHarness()
        h.signals.set("AAAUSDT", .buy)
        h.price("AAAUSDT", 100, at: t0)
        let snapshot = ScanSnapshot(sequence: 7, opportunities: [h.opportunity("AAAUSDT")], scanStarted: t0,
                                    scanFinished: t0)
        h.send(.snapshot(snapshot), at: t0)
        h.send(.snapshot(snapshot), at: t0 + 1)
        // Exit, wait out the cool-down, and tick: the same snapshot is not traded again.
        h.send(.tick(t0 + 10), at: t0 + 10)
        h.price("AAAUSDT", 91, at: t0 + 20)
        #expect(h.closed.count == 1)
        h.send(.tick(t0 + 30), at: t0 + 30)
        #expect(h.entries.count == 1)
    }

    @Test func staleDriftedAndNoLongerSignalledOpportunitiesAreSkipped() {
        var h = EngineHarness(settings: EngineSettings(maxOpportunityAgeSeconds: 120))
        for symbol in ["AAAUSDT", "BBBUSDT", "CCCUSDT"] {
            h.price(symbol, 100, at: t0)
        }
        h.signals.set("AAAUSDT", .buy)
        h.signals.set("BBBUSDT", .buy)
        h.signals.set("CCCUSDT", .hold)  // the signal is gone on the latest data
        // A snapshot that finished 200 s ago is stale.
        h.send(.snapshot(ScanSnapshot(sequence: 1, opportunities: [h.opportunity("AAAUSDT")], scanStarted: t0 - 260,
                                      scanFinished: t0 - 200)), at: t0)
        h.send(.tick(t0), at: t0)
        #expect(h.entries.isEmpty)
        // BBB's price has moved 2% since its scan (limit 0.5%); CCC no longer signals.
        h.snapshot([h.opportunity("BBBUSDT", price: 98), h.opportunity("CCCUSDT")], at: t0)
        #expect(h.entries.isEmpty)
        #expect(h.notes.contains { if case .staleSnapshot = $0 { true } else { false } })
        #expect(h.notes.contains(.skipped(symbol: "CCCUSDT", reason: "signal no longer holds on the latest data")))
    }

    @Test func respectsMaxOpenPositionsAndGroups() {
        var h = EngineHarness(settings: EngineSettings(risk: RiskSettings(maxOpenPositions: 3)))
        let symbols = EngineHarness.instruments.map(\.symbol)
        for symbol in symbols {
            h.price(symbol, 100, at: t0)
            h.signals.set(symbol, .buy)
        }
        h.snapshot(symbols.enumerated().map { h.opportunity($1, score: 100 - Double($0)) }, at: t0)
        #expect(h.desk.engine.positions.count == 3)
        #expect(Set(h.desk.engine.positions.keys) == ["AAAUSDT", "BBBUSDT", "CCCUSDT"])
        h.send(.tick(t0 + 5), at: t0 + 5)
        #expect(h.entries.count == 3)
    }

    @Test func takesPartialProfitsThenTheRest() throws {
        var h = EngineHarness()
        h.openLong()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        let leverage = Double(position.leverage)
        // 2% leveraged PnL: the first quarter.
        h.price("AAAUSDT", 100 * (1 + 0.021 / leverage), at: t0 + 60)
        #expect(h.desk.engine.positions["AAAUSDT"]?.lots == position.initialLots - Int((Double(position.initialLots) * 0.25).rounded()))
        // The stop covers what is left (reduce-only, a stop sized for more closes only that; one moved since is
        // sized for what is left), and the other targets rest too.
        let resting = h.desk.exchange.restingOrders
        let stop = resting.first { if case .stopMarket = $0.kind { true } else { false } }
        let left = try #require(h.desk.engine.positions["AAAUSDT"]?.lots)
        #expect(stop?.id == h.desk.engine.positions["AAAUSDT"]?.stopOrderID && (stop?.lots ?? 0) >= left)
        #expect(resting.filter { if case .limit = $0.kind { true } else { false } }.count == 2)
        // Targets fill at their own price, not at wherever the price was seen.
        #expect(h.desk.engine.positions["AAAUSDT"]?.partialsTaken == 1)
        h.price("AAAUSDT", 100 * (1 + 0.041 / leverage), at: t0 + 120)
        h.price("AAAUSDT", 100 * (1 + 0.061 / leverage), at: t0 + 180)
        let trade = try #require(h.closed.first)
        #expect(trade.reason == .takeProfit)
        #expect(trade.pnl > 0)
        #expect(h.desk.exchange.positions.isEmpty && h.desk.exchange.restingOrders.isEmpty)
        // The average exit is the lot-weighted average of the three target prices (2%, 4%, 6% leveraged).
        let targets = [0.02, 0.04, 0.06].map { (100 * (1 + $0 / leverage) * 100).rounded() / 100 }
        let lots = [0.25, 0.25, 0.5].map { (Double(position.initialLots) * $0).rounded() }
        let expectedExit = (targets[0] * lots[0] + targets[1] * lots[1] + targets[2] * (Double(position.initialLots) - lots[0] - lots[1]))
            / Double(position.initialLots)
        #expect(abs(trade.exitPrice - expectedExit) < 1e-9 * expectedExit)
    }

    @Test func aRefusedFallbackPartialIsTriedAgainAndCountsOnlyWhenFilled() throws {
        struct Refused: Error {}
        var h = EngineHarness()
        h.signals.set("AAAUSDT", .buy)
        h.price("AAAUSDT", 100, at: t0)
        // The targets cannot be recorded, so none rests on the exchange: the engine takes partials by market.
        _ = h.desk.handle(.snapshot(ScanSnapshot(sequence: 1, opportunities: [h.opportunity("AAAUSDT")],
                                                 scanStarted: t0, scanFinished: t0)), at: t0) { request in
            if case .limit = request.kind { throw Refused() }
        }
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(position.targetOrders.isEmpty)
        let firstLevel = 100 * (1 + 0.021 / Double(position.leverage))
        var refused = 0
        _ = h.desk.price("AAAUSDT", firstLevel, at: t0 + 60) { request in
            if request.purpose == .exit(.partialTakeProfit) {
                refused += 1
                throw Refused()
            }
        }
        #expect(refused == 1)
        #expect(h.desk.engine.positions["AAAUSDT"]?.partialsTaken == 0)
        #expect(h.desk.engine.positions["AAAUSDT"]?.lots == position.initialLots)
        // Not again at once: the next price within a minute sends nothing; one after it sends the partial again,
        // and its fill takes the first quarter.
        var sent = 0
        _ = h.desk.price("AAAUSDT", firstLevel, at: t0 + 90) { if $0.purpose == .exit(.partialTakeProfit) { sent += 1 } }
        #expect(sent == 0)
        h.price("AAAUSDT", firstLevel, at: t0 + 120)
        #expect(h.desk.engine.positions["AAAUSDT"]?.partialsTaken == 1)
        #expect(h.desk.engine.positions["AAAUSDT"]?.lots
                == position.initialLots - Int((Double(position.initialLots) * 0.25).rounded()))
    }

    @Test func targetsFillingTogetherSendNothingMore() throws {
        var h = EngineHarness()
        h.openLong()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        // One price past all three targets: the exchange fills them all before the engine hears the first. The
        // engine only hears of the closes: it sends no order for a position that is already gone.
        var sent = [OrderRequest]()
        _ = h.desk.price("AAAUSDT", 100 * (1 + 0.07 / Double(position.leverage)), at: t0 + 60) { sent.append($0) }
        #expect(h.closed.first?.reason == .takeProfit)
        #expect(h.desk.exchange.positions.isEmpty && h.desk.exchange.restingOrders.isEmpty)
        #expect(sent.isEmpty)
        #expect(h.desk.engine.statistics.rejections == 0)
    }

    @Test func theStopClosesExactlyWhatThePartialExitsLeft() throws {
        var h = EngineHarness()
        h.openLong()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        let stopPrice = position.stopPrice
        h.price("AAAUSDT", 100 * (1 + 0.021 / Double(position.leverage)), at: t0 + 60)
        let left = try #require(h.desk.engine.positions["AAAUSDT"]?.lots)
        let stopID = h.desk.engine.positions["AAAUSDT"]?.stopOrderID
        #expect(left < position.initialLots)
        // Down through the stop: the stop, still sized for the whole position, closes the rest and no more.
        let step = h.desk.price("AAAUSDT", stopPrice * 0.99, at: t0 + 120)
        let trade = try #require(h.closed.first)
        #expect(trade.lots == position.initialLots)
        #expect(h.desk.engine.positions["AAAUSDT"] == nil)
        #expect(h.desk.exchange.positions.isEmpty && h.desk.exchange.restingOrders.isEmpty)
        let stopFill = step.journal.fills.last
        #expect(stopFill?.orderID == stopID && stopFill?.lots == left)
        #expect(h.desk.engine.statistics.rejections == 0)
    }

    @Test func breakEvenAndTrailingOnlyTightenAndAreSentToTheExchange() throws {
        let settings = EngineSettings(partialTakeProfits: [])
        var h = EngineHarness(settings: settings)
        h.openLong()
        var stops = [Double]()
        for (step, price) in [101.0, 102, 104, 103, 106, 105, 108].enumerated() {
            h.price("AAAUSDT", price, at: t0 + Int64(step + 1) * 60)
            stops.append(try #require(h.desk.engine.positions["AAAUSDT"]).stopPrice)
        }
        #expect(stops == stops.sorted())  // never loosens
        let exchangeStops = h.desk.exchange.restingOrders.filter { if case .stopMarket = $0.kind { true } else { false } }
        #expect(exchangeStops.map(\.kind) == [.stopMarket(trigger: stops.last!)])
        #expect(exchangeStops.first?.id == h.desk.engine.positions["AAAUSDT"]?.stopOrderID)
        #expect(stops.last! > 100.5)  // beyond break-even
        // The price falls back through the trailing stop: the exchange fills it and the engine books it.
        h.price("AAAUSDT", 100, at: t0 + 600)
        let trade = try #require(h.closed.first)
        #expect(trade.reason == .trailingStop)
        #expect(trade.pnl > 0)
    }

    @Test func stopLossFillsOnTheExchangeAndStartsACoolDown() throws {
        var h = EngineHarness()
        h.openLong()
        h.price("AAAUSDT", 91, at: t0 + 60)
        let trade = try #require(h.closed.first)
        #expect(trade.reason == .stopLoss)
        #expect(trade.exitPrice == 92)
        #expect(h.desk.engine.risk.lossStreak == 1)
        // A fresh signal on the same symbol within the cool-down is refused.
        h.price("AAAUSDT", 92, at: t0 + 120)
        h.snapshot([h.opportunity("AAAUSDT", price: 92), h.opportunity("BBBUSDT")], at: t0 + 120)
        #expect(h.entries.count == 1)
        #expect(h.notes.contains { if case .skipped(_, let reason) = $0 { reason.hasPrefix("cooling down") } else { false } })
    }

    @Test func maxHoldAndMomentumReversalExit() throws {
        var h = EngineHarness(settings: EngineSettings(maxHoldSeconds: 3600))
        h.signals.set("AAAUSDT", .buy)
        h.signals.set("BBBUSDT", .sell)
        h.price("AAAUSDT", 100, at: t0)
        h.price("BBBUSDT", 100, at: t0)
        h.snapshot([h.opportunity("AAAUSDT"), h.opportunity("BBBUSDT", .sell)], at: t0)
        #expect(h.desk.engine.positions.count == 2)
        // BBB (short) sees momentum turn up hard while RSI is low.
        h.signals.set("BBBUSDT", .sell, momentum: 0.03, rsi: 25)
        h.send(.tick(t0 + 5), at: t0 + 5)
        #expect(h.closed.map(\.reason) == [.momentumReversal])
        h.send(.tick(t0 + 3600), at: t0 + 3600)
        #expect(h.closed.map(\.reason) == [.momentumReversal, .maxHold])
    }

    @Test func dailyLossLimitStopsNewEntriesUntilTheNextDay() {
        var h = EngineHarness(settings: EngineSettings(risk: RiskSettings(dailyLossLimit: 0.01,
                                                                          symbolCooldownSeconds: 0)))
        h.signals.set("AAAUSDT", .buy)
        h.signals.set("BBBUSDT", .buy)
        h.price("AAAUSDT", 100, at: t0)
        h.price("BBBUSDT", 100, at: t0)
        h.snapshot([h.opportunity("AAAUSDT")], at: t0)
        h.price("AAAUSDT", 91, at: t0 + 60)  // stopped out: about -2% of equity
        h.send(.tick(t0 + 65), at: t0 + 65)
        h.snapshot([h.opportunity("BBBUSDT")], at: t0 + 70)
        #expect(h.entries.count == 1)
        // After midnight UTC the day starts again.
        h.price("BBBUSDT", 100, at: t0 + 86_400 + 10)
        h.send(.tick(t0 + 86_400 + 20), at: t0 + 86_400 + 20)
        h.snapshot([h.opportunity("BBBUSDT")], at: t0 + 86_400 + 30)
        #expect(h.entries.count == 2)
    }

    @Test func aStopTheExchangeDroppedIsPlacedAgain() throws {
        var h = EngineHarness()
        h.openLong()
        let stop = try #require(h.desk.exchange.restingOrders.first)
        // Simulate the exchange dropping the stop.
        _ = h.desk.exchange.cancel(stop.id)
        h.send(.exchange(.orderCancelled(stop.id, symbol: "AAAUSDT")), at: t0 + 1)
        #expect(h.desk.engine.positions["AAAUSDT"]?.stopOrderID == nil)
        #expect(h.desk.engine.positions["AAAUSDT"]?.stopState == .missing)
        // The next monitor tick places a new one, and the exchange's stop closes the position.
        h.send(.tick(t0 + 2), at: t0 + 2)
        let again = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(again.stopState == .acknowledged && again.stopOrderID != nil && again.stopOrderID != stop.id)
        #expect(h.desk.exchange.restingOrders.contains { $0.id == again.stopOrderID })
        h.price("AAAUSDT", 91.5, at: t0 + 60)
        #expect(h.closed.first?.reason == .stopLoss)
        #expect(h.desk.engine.statistics.maxUnprotectedSeconds == 2)
    }

    @Test func aStopTheExchangeLostSilentlyIsPlacedAnewWhenItMoves() throws {
        var h = EngineHarness(settings: EngineSettings(partialTakeProfits: []))
        h.openLong()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        let stopID = try #require(position.stopOrderID)
        // The exchange loses the stop and nobody tells the engine; the next stop move finds out.
        _ = h.desk.exchange.cancel(stopID)
        h.price("AAAUSDT", 101.6, at: t0 + 60)
        let moved = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(moved.stopPrice > position.stopPrice)
        // The replacement is placed although the old stop is gone: the position has a stop again.
        #expect(moved.stopState == .acknowledged && moved.standingStopID == nil)
        #expect(h.desk.exchange.restingOrders.filter { $0.purpose == .stopLoss }.map(\.id) == [moved.stopOrderID])
        h.price("AAAUSDT", moved.stopPrice - 0.05, at: t0 + 120)
        #expect(h.closed.first?.reason == .breakEven || h.closed.first?.reason == .trailingStop)
        #expect(h.desk.exchange.positions.isEmpty)
    }

    @Test func withoutNotesTheEngineTradesTheSame() throws {
        var harnesses = [true, false].map { records in
            var settings = EngineSettings()
            settings.recordsNotes = records
            return EngineHarness(settings: settings)
        }
        for index in harnesses.indices {
            harnesses[index].signals.set("AAAUSDT", .buy)
            harnesses[index].signals.set("BBBUSDT", .sell)
            harnesses[index].price("AAAUSDT", 100, at: t0)
            harnesses[index].price("BBBUSDT", 50, at: t0)
            harnesses[index].snapshot([harnesses[index].opportunity("AAAUSDT"),
                                       harnesses[index].opportunity("BBBUSDT", .sell, price: 50, score: 90)], at: t0)
            // A path that takes partial profits on one and stops the other out; prices by route and by name.
            let found = harnesses[index].desk.route("AAAUSDT")
            let route = try #require(found)
            for (step, price) in [100.5, 101, 102, 104, 103].enumerated() {
                _ = harnesses[index].desk.price(route, price, at: t0 + Int64(60 * (step + 1)))
                harnesses[index].price("BBBUSDT", 50 + Double(step) * 0.8, at: t0 + Int64(60 * (step + 1)))
            }
            harnesses[index].send(.tick(t0 + 600), at: t0 + 600)
        }
        let (noted, silent) = (harnesses[0], harnesses[1])
        #expect(!noted.notes.isEmpty && silent.notes.isEmpty)
        #expect(noted.closed.count >= 1)
        #expect(noted.closed == silent.closed)
        #expect(noted.desk.exchange.positions == silent.desk.exchange.positions)
        #expect(noted.desk.exchange.restingOrders == silent.desk.exchange.restingOrders)
        #expect(noted.desk.engine.equity == silent.desk.engine.equity)
    }

    /// A backtest feeds prices, snapshots and ticks without asking for steps back: the desk must trade the same.
    @Test func feedingEventsTradesAsHandlingThem() throws {
        var handled = EngineHarness(), fed = EngineHarness()
        for harness in [handled, fed] {
            harness.signals.set("AAAUSDT", .buy)
            harness.signals.set("BBBUSDT", .sell)
        }
        let snapshot = ScanSnapshot(sequence: 1, opportunities: [handled.opportunity("AAAUSDT"),
                                                                 handled.opportunity("BBBUSDT", .sell, price: 50)],
                                    scanStarted: t0, scanFinished: t0)
        var routes = [PaperDesk.PriceRoute]()
        for symbol in ["AAAUSDT", "BBBUSDT"] {
            let route = fed.desk.route(symbol)
            routes.append(try #require(route))
        }
        handled.price("AAAUSDT", 100, at: t0)
        handled.price("BBBUSDT", 50, at: t0)
        fed.desk.feed(routes[0], 100, at: t0, continuous: false)
        fed.desk.feed(routes[1], 50, at: t0, continuous: false)
        handled.send(.snapshot(snapshot), at: t0)
        fed.desk.feed(.snapshot(snapshot), at: t0)
        #expect(fed.desk.engine.positions.count == 2)
        // Targets and a stop fill on the way; ticks look at what is left.
        for (step, (a, b)) in [(101.0, 49.0), (104, 48), (103, 53), (95, 55)].enumerated() {
            let time = t0 + Int64(600 * (step + 1))
            handled.price("AAAUSDT", a, at: time)
            handled.price("BBBUSDT", b, at: time)
            handled.send(.tick(time), at: time)
            fed.desk.feed(routes[0], a, at: time, continuous: true)
            fed.desk.feed(routes[1], b, at: time, continuous: true)
            fed.desk.feed(.tick(time), at: time)
        }
        #expect(!handled.closed.isEmpty)
        #expect(fed.closed == handled.closed)
        #expect(fed.desk.exchange.positions == handled.desk.exchange.positions)
        #expect(fed.desk.exchange.restingOrders == handled.desk.exchange.restingOrders)
        #expect(fed.desk.engine.equity == handled.desk.engine.equity)
    }

    @Test func shutdownClosesPositionsOnlyWhenAsked() {
        for close in [false, true] {
            var h = EngineHarness(settings: EngineSettings(closePositionsOnShutdown: close))
            h.openLong()
            h.send(.shutdown(t0 + 60), at: t0 + 60)
            #expect(h.desk.engine.positions.isEmpty == close)
            #expect(h.closed.first?.reason == (close ? .shutdown : nil))
        }
    }
}
