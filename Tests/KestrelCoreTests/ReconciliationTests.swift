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
        #expect(report.summary == "reconciled: 1 position, 4 orders, no differences")
        #expect(step.journal.outcomes.isEmpty)
        #expect(h.desk.exchange.restingOrders == before)
    }

    @Test func aPositionClosedWhileAwayIsBookedAndSomeoneElsesIsLeftAlone() throws {
        var h = holding()
        let lots = try #require(h.desk.exchange.positions["AAAUSDT"]?.lots)
        // Behind the engine's back: AAA is closed, and someone opens BBB by hand.
        _ = h.desk.exchange.updatePrice("BBBUSDT", 50, at: t0 + 30)
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("manual-close"), symbol: "AAAUSDT", side: .sell,
                                                    lots: lots, kind: .market, reduceOnly: true, leverage: 5,
                                                    purpose: .exit(.shutdown)), at: t0 + 30).get()
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("manual-open"), symbol: "BBBUSDT", side: .sell,
                                                    lots: 300, kind: .market, reduceOnly: false, leverage: 5,
                                                    purpose: .entry), at: t0 + 30).get()
        _ = try h.desk.exchange.submit(OrderRequest(id: ClientOrderID("manual-stop"), symbol: "BBBUSDT", side: .buy,
                                                    lots: 300, kind: .stopMarket(trigger: 60), reduceOnly: true,
                                                    leverage: 5, purpose: .stopLoss), at: t0 + 30).get()
        let (report, _) = h.desk.reconcile(at: t0 + 60)
        #expect(report.closed == ["AAAUSDT"] && report.adopted.isEmpty)
        #expect(report.foreignPositions == ["BBBUSDT"] && report.foreignOrders == [ClientOrderID("manual-stop")])
        #expect(h.closed.first?.reason == .reconciliation)
        #expect(h.desk.engine.positions.isEmpty)
        // Nothing of Kestrel's rests for the closed position, and the hand-made stop still does.
        #expect(h.desk.exchange.restingOrders.map(\.id) == [ClientOrderID("manual-stop")])
        #expect(report.summary.hasPrefix("reconciled: 1 position, 1 order: closed AAAUSDT"))
        #expect(report.summary.hasSuffix("(not Kestrel's, left alone: BBBUSDT manual-stop)"))
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

    // MARK: Against a venue's snapshot

    /// A long AAAUSDT position opened through `v`, its stop acknowledged; the snapshot a venue would give of it.
    func held(_ v: inout VenueScript) throws -> (entry: OrderRequest, stop: OrderRequest, snapshot: VenueSnapshot) {
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0, trade: "E1").stops.first)
        v.accept(stop)
        let position = ExchangePosition(symbol: "AAAUSDT", side: .long, lots: entry.lots, entryPrice: 100,
                                        leverage: entry.leverage, margin: 1)
        let targets = v.commands.placed.filter { if case .limit = $0.kind { true } else { false } }
        let orders = ([stop] + targets).map { VenueOrder(request: $0, venueOrderID: "v-\($0.id)", status: .open, filledLots: 0) }
        return (entry, stop, VenueSnapshot(positions: ["AAAUSDT": position], openOrders: orders, wallet: nil,
                                           recentFills: []))
    }

    @Test func aLateFillOfAnEntryOpensItsPositionOnceWithOneStop() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        // The entry filled while Kestrel was not listening: the venue has the position, and the fill.
        let fill = Fill(orderID: entry.id, tradeID: "late-1", symbol: "AAAUSDT", side: .buy, lots: entry.lots,
                        price: 100, fee: 0.5, time: t0 + 1)
        let snapshot = VenueSnapshot(
            positions: ["AAAUSDT": ExchangePosition(symbol: "AAAUSDT", side: .long, lots: entry.lots, entryPrice: 100,
                                                    leverage: entry.leverage, margin: 1)],
            openOrders: [], wallet: nil, recentFills: [fill])
        let (report, output) = v.engine.reconcile(with: snapshot, at: t0 + 2)
        #expect(report.fillsCounted == 1 && report.adopted.isEmpty && report.droppedEntries.isEmpty)
        #expect(v.engine.positions["AAAUSDT"]?.lots == entry.lots)
        #expect(output.commands.stops.count == 1)
        // The same snapshot again (the stop now resting): the fill is not counted twice, no second stop.
        let stop = try #require(output.commands.stops.first)
        var again = snapshot
        again.openOrders = [VenueOrder(request: stop, venueOrderID: "v1", status: .open, filledLots: 0)]
        let (second, more) = v.engine.reconcile(with: again, at: t0 + 3)
        #expect(second.fillsCounted == 0 && more.commands.stops.isEmpty)
        #expect(v.engine.positions["AAAUSDT"]?.lots == entry.lots && v.engine.statistics.tradesOpened == 1)
        #expect(v.engine.positions["AAAUSDT"]?.stopState == .acknowledged)
    }

    @Test func anEntryStillAwaitedIsKeptAndOneThatEndedUnfilledIsDropped() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        let empty = VenueSnapshot(positions: [:], openOrders: [], wallet: nil, recentFills: [])
        let (kept, _) = v.engine.reconcile(with: empty, inFlight: [entry.id], at: t0 + 1)
        #expect(kept.droppedEntries.isEmpty && kept.isClean)
        let (dropped, _) = v.engine.reconcile(with: empty, at: t0 + 2)
        #expect(dropped.droppedEntries == [entry.id])
    }

    @Test func kestrelsOrphansAreCancelledAndOthersOrdersLeftAlone() throws {
        var v = VenueScript()
        var (_, _, snapshot) = try held(&v)
        let earlierRun = ClientOrderID(run: RunID(value: 5), number: 3, role: .stop, symbol: "BBBUSDT")
        for id in [earlierRun, ClientOrderID("web-12345")] {
            let order = OrderRequest(id: id, symbol: "BBBUSDT", side: .sell, lots: 1, kind: .limit(price: 200),
                                     reduceOnly: false, leverage: 1, purpose: .entry)
            snapshot.openOrders.append(VenueOrder(request: order, venueOrderID: "x", status: .open, filledLots: 0))
        }
        let (report, output) = v.engine.reconcile(with: snapshot, at: t0 + 5)
        #expect(report.orphansCancelled == [earlierRun] && report.foreignOrders == [ClientOrderID("web-12345")])
        #expect(output.commands.cancelled == [earlierRun])
        #expect(output.commands.placed.isEmpty && output.commands.replaced.isEmpty)
    }

    @Test func theVenuesStopTriggerIsReadBackButNeverLoosened() throws {
        var v = VenueScript()
        let (_, stop, snapshot) = try held(&v)
        let engineStop = try #require(v.engine.positions["AAAUSDT"]?.stopPrice)
        func withTrigger(_ trigger: Double) -> VenueSnapshot {
            var moved = stop
            moved.kind = .stopMarket(trigger: trigger)
            var copy = snapshot
            copy.openOrders[0] = VenueOrder(request: moved, venueOrderID: "v", status: .open, filledLots: 0)
            return copy
        }
        // Tighter on the venue (moved before a crash the saved state missed): taken.
        let (tighter, quiet) = v.engine.reconcile(with: withTrigger(engineStop + 1), at: t0 + 5)
        #expect(tighter.stopsReadBack == ["AAAUSDT"] && quiet.commands.isEmpty)
        #expect(v.engine.positions["AAAUSDT"]?.stopPrice == engineStop + 1)
        // Looser on the venue than the engine holds now: moved back to the engine's, not loosened.
        let (looser, output) = v.engine.reconcile(with: withTrigger(engineStop - 2), at: t0 + 6)
        #expect(looser.stopsReadBack == ["AAAUSDT"])
        let replaced = try #require(output.commands.replaced.first)
        #expect(replaced.old == stop.id && replaced.new.kind == .stopMarket(trigger: engineStop + 1))
        #expect(v.engine.positions["AAAUSDT"]?.stopPrice == engineStop + 1)
    }

    @Test func aPositionTheVenueExplainsByKestrelsFillIsAdopted() throws {
        var v = VenueScript()
        // Kestrel's fill on BBB, for an order the engine no longer knows (its journal was lost).
        let lost = ClientOrderID(run: v.engine.runID, number: 900, role: .entry, symbol: "BBBUSDT")
        let fill = Fill(orderID: lost, tradeID: "b-1", symbol: "BBBUSDT", side: .sell, lots: 30, price: 50, fee: 0.1,
                        time: t0)
        let snapshot = VenueSnapshot(
            positions: ["BBBUSDT": ExchangePosition(symbol: "BBBUSDT", side: .short, lots: 30, entryPrice: 50,
                                                    leverage: 5, margin: 300)],
            openOrders: [], wallet: nil, recentFills: [fill])
        let (report, output) = v.engine.reconcile(with: snapshot, at: t0 + 1)
        #expect(report.adopted == ["BBBUSDT"] && report.foreignPositions.isEmpty)
        let stop = try #require(output.commands.stops.first)
        #expect(stop.side == .buy && stop.lots == 30 && stop.reduceOnly)
        #expect(v.engine.positions["BBBUSDT"]?.stopState == .pending)
    }

    @Test func someoneElsesFillOnAHeldSymbolIsNotBooked() throws {
        var v = VenueScript()
        var (entry, _, snapshot) = try held(&v)
        // Someone traded AAA by hand and undid it: the venue's position is as Kestrel holds it.
        for (trade, side) in [("web-a", OrderSide.sell), ("web-b", .buy)] {
            snapshot.recentFills.append(Fill(orderID: ClientOrderID("web-1"), tradeID: TradeID(trade), symbol: "AAAUSDT",
                                             side: side, lots: 5, price: 101, fee: 0.1, time: t0 + 1))
        }
        let (report, _) = v.engine.reconcile(with: snapshot, at: t0 + 2)
        #expect(report.fillsCounted == 0 && report.resized.isEmpty && report.closed.isEmpty)
        #expect(v.engine.positions["AAAUSDT"]?.lots == entry.lots && v.engine.statistics.closedTrades.isEmpty)
    }

    @Test func fundingOnAClosedPositionIsCountedOnceHoweverOftenTheVenueReportsIt() throws {
        var h = holding()
        // Funding paid on the position, heard on the stream; then the position closes.
        let paid = FundingPayment(symbol: "AAAUSDT", amount: 1.25, time: t0 + 20)
        h.send(.exchange(.funding(symbol: paid.symbol, amount: paid.amount, time: paid.time)), at: t0 + 20)
        let lots = try #require(h.desk.exchange.positions["AAAUSDT"]?.lots)
        h.send(.exchange(.fill(Fill(orderID: ClientOrderID("gone"), tradeID: TradeID("close-1"), symbol: "AAAUSDT",
                                    side: .sell, lots: lots, price: 100, fee: 0, time: t0 + 30))), at: t0 + 30)
        #expect(h.desk.engine.positions.isEmpty)
        let cash = h.desk.engine.cash
        // Every reconciliation replays the venue's recent payments: the one already counted changes nothing, though
        // no position is left to tie it to.
        for round in 1...3 {
            let snapshot = VenueSnapshot(positions: [:], openOrders: [], wallet: cash, recentFills: [],
                                         recentFunding: [paid])
            let (report, _) = h.desk.engine.reconcile(with: snapshot, at: t0 + 60 * Int64(round))
            #expect(report.cashCorrection == 0, "round \(round)")
            #expect(h.desk.engine.cash == cash)
        }
        // A later payment is new.
        let next = FundingPayment(symbol: "AAAUSDT", amount: -0.5, time: t0 + 8 * 3600)
        let snapshot = VenueSnapshot(positions: [:], openOrders: [], wallet: cash - 0.5, recentFills: [],
                                     recentFunding: [paid, next])
        let (report, _) = h.desk.engine.reconcile(with: snapshot, at: t0 + 8 * 3600 + 1)
        #expect(report.cashCorrection == 0 && h.desk.engine.cash == cash - 0.5)
        // And it survives a restart: the saved state remembers what was counted.
        var restored = TradingEngine(settings: h.desk.engine.settings, instruments: EngineHarness.instruments,
                                     revalidator: h.signals, restoring: h.desk.engine.state, closedTrades: [],
                                     newRunID: RunID(startedAt: t0, entropy: 1))
        let (again, _) = restored.reconcile(with: snapshot, at: t0 + 8 * 3600 + 2)
        #expect(again.cashCorrection == 0 && restored.cash == cash - 0.5)
    }
}
