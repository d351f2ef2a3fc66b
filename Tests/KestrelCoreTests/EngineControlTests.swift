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
}
