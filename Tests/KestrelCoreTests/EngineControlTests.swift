import KestrelCore
import Testing

/// A person's commands: pausing stops new entries only, resuming enters what is still fresh, closing exits at market
/// with the reason `manual`.
@Suite struct EngineControlTests {
    let t0 = EngineHarness.t0

    @Test func pausedEntriesWaitAndResumeEntersAFreshOpportunity() {
        var h = EngineHarness()
        h.send(.control(.pauseEntries, time: t0), at: t0)
        h.signals.set("AAAUSDT", .buy)
        h.price("AAAUSDT", 100, at: t0)
        h.snapshot([h.opportunity("AAAUSDT")], at: t0)
        #expect(h.entries.isEmpty)
        #expect(h.desk.engine.entriesPaused)
        #expect(h.desk.engine.state.entriesPaused == true)
        // Resumed while the snapshot is fresh: entered at once.
        h.send(.control(.resumeEntries, time: t0 + 5), at: t0 + 5)
        #expect(h.entries.map(\.symbol) == ["AAAUSDT"])
        #expect(!h.desk.engine.entriesPaused && h.desk.engine.state.entriesPaused == nil)
    }

    @Test func aPausedEngineStillManagesItsPositions() {
        var h = EngineHarness()
        h.openLong()
        h.send(.control(.pauseEntries, time: t0 + 1), at: t0 + 1)
        // The stop below 100 is hit: the position closes as it would unpaused.
        h.price("AAAUSDT", 80, at: t0 + 60)
        #expect(h.desk.engine.positions.isEmpty)
        #expect(h.closed.count == 1)
    }

    @Test func closeExitsOnePositionAtMarketAndCloseAllTheRest() {
        var h = EngineHarness(settings: EngineSettings(risk: RiskSettings(maxOpenPositions: 3)))
        h.openLong("AAAUSDT")
        h.openLong("BBBUSDT")
        h.openLong("CCCUSDT")
        #expect(h.desk.engine.positions.count == 3)
        h.send(.control(.close(symbol: "BBBUSDT"), time: t0 + 10), at: t0 + 10)
        #expect(h.closed.map(\.symbol) == ["BBBUSDT"] && h.closed.first?.reason == .manual)
        // A symbol without a position: nothing is sent.
        let sent = h.submitted.count
        h.send(.control(.close(symbol: "EEEUSDT"), time: t0 + 11), at: t0 + 11)
        #expect(h.submitted.count == sent)
        h.send(.control(.closeAll, time: t0 + 12), at: t0 + 12)
        #expect(h.desk.engine.positions.isEmpty)
        #expect(h.closed.count == 3 && h.closed.allSatisfy { $0.reason == .manual })
    }

    @Test func cancellingOrdersTakesTheTargetsOffAndKeepsTheStop() throws {
        var h = EngineHarness()
        h.openLong()
        let position = try #require(h.desk.engine.positions["AAAUSDT"])
        let targets = position.targetOrders.keys
        try #require(!targets.isEmpty, "the engine rests its take-profits on the venue")
        h.send(.control(.cancelOrders, time: t0 + 5), at: t0 + 5)
        let after = try #require(h.desk.engine.positions["AAAUSDT"])
        #expect(after.targetOrders.isEmpty)
        #expect(after.stopState == .acknowledged)
        let resting = h.desk.exchange.restingOrders
        #expect(resting.count == 1 && resting.allSatisfy { if case .stopMarket = $0.kind { true } else { false } })
        #expect(targets.allSatisfy { target in !resting.contains { $0.id == target } })
        // With no target resting, the engine takes profit itself when the price gets there.
        h.price("AAAUSDT", 130, at: t0 + 600)
        #expect(h.closed.contains { $0.reason == .takeProfit || $0.reason == .partialTakeProfit }
                || h.desk.engine.positions["AAAUSDT"].map { $0.lots < position.lots } == true)
    }

    @Test func newSettingsApplyAtOnceAndKeepTheVenuesFees() {
        var h = EngineHarness(settings: EngineSettings(risk: RiskSettings(maxOpenPositions: 1), takerFee: 0.0006))
        h.openLong("AAAUSDT")
        h.signals.set("BBBUSDT", .buy)
        h.price("BBBUSDT", 100, at: t0 + 10)
        h.snapshot([h.opportunity("BBBUSDT")], at: t0 + 10)
        #expect(h.entries.map(\.symbol) == ["AAAUSDT"], "one position at most")
        var wider = EngineSettings(risk: RiskSettings(maxOpenPositions: 2), takerFee: 0.01)
        wider.recordsNotes = false
        h.send(.control(.applySettings(wider, summary: "MAX_OPEN_POSITIONS 1 → 2"), time: t0 + 20), at: t0 + 20)
        // The fresh opportunity is entered at once; the fee stays the venue's, and notes are still kept.
        #expect(h.entries.map(\.symbol) == ["AAAUSDT", "BBBUSDT"])
        #expect(h.desk.engine.settings.risk.maxOpenPositions == 2)
        #expect(h.desk.engine.riskManager.settings.maxOpenPositions == 2)
        #expect(h.desk.engine.settings.takerFee == 0.0006 && h.desk.engine.settings.recordsNotes)
    }
}
