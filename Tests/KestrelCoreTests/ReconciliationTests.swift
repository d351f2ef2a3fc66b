import KestrelCore
import Testing

/// The exchange is the truth: whatever happened there while the engine was not looking, reconciliation makes the
/// engine hold what the exchange holds, protected by a stop of the right size.
@Suite struct ReconciliationTests {
    let t0 = EngineHarness.t0

    /// A harness with one long position on AAAUSDT (stop and three targets resting).
    func holding() -> EngineHarness {
        var h = EngineHarness()
        h.openLong()
        return h
    }

    func stops(_ h: EngineHarness) -> [OrderRequest] {
        h.desk.exchange.restingOrders.filter { if case .stopMarket = $0.kind { true } else { false } }
    }

    /// The engine hears that the exchange refused its stop on AAAUSDT; the stop in fact rests there.
    func loseTrackOfTheStop(_ h: inout EngineHarness) throws {
        h.send(.rejected(try #require(stops(h).first), .noPrice(symbol: "AAAUSDT"), time: t0 + 1), at: t0 + 1)
    }

    /// Behind the engine's back, `position` is added to with as many lots again.
    func addToPosition(_ h: inout EngineHarness, _ position: ManagedPosition) throws {
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("more"), symbol: "AAAUSDT", side: .buy,
                                                    lots: position.lots, kind: .market, reduceOnly: false,
                                                    leverage: position.leverage, purpose: .entry), at: t0 + 30).get()
    }

    @Test func anEngineInStepWithTheExchangeChangesNothing() throws {
        var h = holding()
        let before = h.desk.exchange.restingOrders
        let (report, step) = h.desk.reconcile(at: t0 + 60)
        #expect(report.isClean)
        #expect(step.journal.outcomes.isEmpty)
        #expect(h.desk.exchange.restingOrders == before)
    }

    @Test func aPositionClosedWhileAwayIsBookedAndOneOpenedIsAdoptedWithAStop() throws {
        var h = holding()
        let lots = try #require(h.desk.exchange.positions["AAAUSDT"]?.lots)
        // Behind the engine's back: AAA is closed, BBB opened.
        _ = h.desk.exchange.updatePrice("BBBUSDT", 50, at: t0 + 30)
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("manual-close"), symbol: "AAAUSDT", side: .sell,
                                                    lots: lots, kind: .market, reduceOnly: true, leverage: 5,
                                                    purpose: .exit(.shutdown)), at: t0 + 30).get()
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("manual-open"), symbol: "BBBUSDT", side: .sell,
                                                    lots: 300, kind: .market, reduceOnly: false, leverage: 5,
                                                    purpose: .entry), at: t0 + 30).get()
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.closed == ["AAAUSDT"] && report.adopted == ["BBBUSDT"])
        #expect(h.closed.first?.reason == .reconciliation)
        let adopted = try #require(h.desk.engine.positions["BBBUSDT"])
        #expect(adopted.side == .short && adopted.lots == 300 && adopted.stopPrice > 50)
        let stop = try #require(stops(h).first { $0.symbol == "BBBUSDT" })
        #expect(stop.side == .buy && stop.lots == 300 && stop.id == adopted.stopOrderID)
        #expect(h.desk.engine.positions["AAAUSDT"] == nil)
    }

    @Test func targetsFilledWhileAwayShrinkThePositionKeepItsStopAndMoveTheCash() throws {
        var h = holding()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(position.targetOrders.count == 3)
        // The exchange sees a price the engine does not: the first two targets fill there.
        let between = 100 * (1 + 0.05 / Double(position.leverage))
        let fills = h.desk.exchange.updatePrice("AAAUSDT", between, at: t0 + 30)
        #expect(fills.count == 2)
        let held = try #require(h.desk.exchange.positions["AAAUSDT"])
        let cashBefore = h.desk.engine.cash
        let (report, _) = h.desk.reconcile(at: t0 + 60)

        #expect(report.resized == ["AAAUSDT"] && report.droppedTargets.count == 2)
        let after = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(after.lots == held.lots && after.targetOrders.count == 1)
        // One stop, the same: reduce-only and sized for the whole position, it covers what is left.
        #expect(stops(h).map(\.lots) == [position.lots] && position.lots > held.lots)
        #expect(stops(h).first?.id == after.stopOrderID && after.stopOrderID == position.stopOrderID)
        // The fills' profit and fees are in the wallet; the engine now counts from it.
        #expect(report.cashCorrection > 0)
        #expect(abs(h.desk.engine.cash - (cashBefore + report.cashCorrection)) < 1e-9)
        #expect(h.desk.engine.cash == h.desk.exchange.wallet)
    }

    @Test func aStopTheEngineLostTrackOfIsTakenBackNotDoubled() throws {
        var h = holding()
        let stopID = try #require(h.desk.engine.positions["AAAUSDT"]?.stopOrderID)
        try loseTrackOfTheStop(&h)
        #expect(h.desk.engine.positions["AAAUSDT"]?.stopOrderID == nil)
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.restopped == ["AAAUSDT"])
        #expect(stops(h).map(\.id) == [stopID])
        #expect(h.desk.engine.positions["AAAUSDT"]?.stopOrderID == stopID)
    }

    @Test func aLostStopTooSmallForThePositionIsReplacedNotLeftBesideANewOne() throws {
        var h = holding()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        try loseTrackOfTheStop(&h)
        // The position is added to while the engine is not looking: the resting stop no longer covers all of it.
        try addToPosition(&h, position)
        let held = try #require(h.desk.exchange.positions["AAAUSDT"])
        #expect(held.lots > position.lots)
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.restopped == ["AAAUSDT"])
        #expect(stops(h).map(\.lots) == [held.lots])
        #expect(stops(h).first?.id == h.desk.engine.positions["AAAUSDT"]?.stopOrderID)
    }

    @Test func aLostStopLargerThanThePositionIsTakenBack() throws {
        var h = holding()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        let stopID = try #require(position.stopOrderID)
        try loseTrackOfTheStop(&h)
        // The first target fills while the engine is not looking: the stop is now larger than the position, which
        // a reduce-only stop may be.
        _ = h.desk.exchange.updatePrice("AAAUSDT", 100 * (1 + 0.03 / Double(position.leverage)), at: t0 + 30)
        #expect(try #require(h.desk.exchange.positions["AAAUSDT"]).lots < position.lots)
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.restopped == ["AAAUSDT"])
        #expect(stops(h).map(\.id) == [stopID])
        #expect(h.desk.engine.positions["AAAUSDT"]?.stopOrderID == stopID)
    }

    @Test func aPositionAddedToWhileAwayTakesTheExchangesSizeAndAverageEntry() throws {
        var h = holding()
        let old = try #require(h.desk.engine.positions["AAAUSDT"])
        _ = h.desk.exchange.updatePrice("AAAUSDT", 99, at: t0 + 30)
        try addToPosition(&h, old)
        let held = try #require(h.desk.exchange.positions["AAAUSDT"])
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.resized == ["AAAUSDT"])
        let after = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(after.lots == 2 * old.lots && after.entryPrice == held.entryPrice && after.entryPrice < old.entryPrice)
        #expect(stops(h).map(\.lots) == [2 * old.lots])
        // Valued on the exchange's entry: at the same price, the engine's equity is the exchange's.
        h.price("AAAUSDT", 99, at: t0 + 61)
        #expect(abs(h.desk.engine.equity - h.desk.exchange.equity) < 1e-9 * h.desk.exchange.equity)
    }

    @Test func aPositionFlippedWhileAwayIsAdoptedTheNewWayRound() throws {
        var h = holding()
        let old = try #require(h.desk.engine.positions["AAAUSDT"])
        // Sold twice the position: now short. The old stop and targets are reduce-only buys... of a long: gone.
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("flip"), symbol: "AAAUSDT", side: .sell,
                                                    lots: 2 * old.lots, kind: .market, reduceOnly: false, leverage: 5,
                                                    purpose: .entry), at: t0 + 30).get()
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.resized == ["AAAUSDT"])
        // The long is booked as closed while away; the short is a position of its own.
        #expect(h.closed.map(\.reason) == [.reconciliation] && h.closed.first?.side == .long)
        let flipped = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(flipped.side == .short && flipped.lots == old.lots && flipped.targetOrders.isEmpty)
        #expect(flipped.stopPrice > flipped.entryPrice)
        #expect(h.desk.exchange.restingOrders.map(\.id) == [flipped.stopOrderID].compactMap { $0 })
        #expect(stops(h).first?.side == .buy)
    }
}
