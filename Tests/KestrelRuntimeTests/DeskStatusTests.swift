import KestrelCore
import KestrelRuntime
import Testing

/// What the desk publishes for readers (the API, the alerts): the equity curve over engine time, thinned to a point
/// a minute.
@Suite struct DeskStatusTests {
    @Test func theEquityCurveTakesAPointAMinuteOfEngineTime() async throws {
        let rig = Rig()
        // Ten minutes of prices, one every 20 s.
        for step in 0...30 { await rig.price("AAAUSDT", 100, at: t0 + Int64(step * 20)) }
        let curve = rig.desk.statusBoard.status.equityCurve
        #expect(curve.count == 11, "\(curve.map(\.time))")
        #expect(curve.first?.time == t0 && curve.last?.time == t0 + 600)
        #expect(curve.allSatisfy { $0.equity == 10_000 })
    }
}
