import KestrelCore
import KestrelRuntime
import Synchronization
import Testing

/// Reconciliation while the market moves and orders come and go: it must never undo what the engine heard.
@Suite struct ReconcileRaceTests {
    @Test func reconcilingOverAndOverWhileTradingKeepsTheBooks() async throws {
        let rig = Rig(maxOpenPositions: 2)
        for symbol in symbols { await rig.price(symbol, 100) }
        // One market clock for every task, so that snapshots are as fresh as the prices around them.
        let clock = Mutex<Int64>(0)
        let tick = { @Sendable in clock.withLock { value -> Int64 in value += 1; return value } }
        await withDiscardingTaskGroup { group in
            for worker in 0..<2 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    for step in 0..<500 {
                        let symbol = symbols[(worker + step) % symbols.count]
                        await rig.price(symbol, stressPrice(step: step, using: &random), at: t0 + tick())
                    }
                }
            }
            group.addTask {
                for _ in 0..<200 {
                    let now = t0 + tick()
                    let chosen = symbols.shuffled().prefix(2).map { symbol in
                        Opportunity(result: ConfirmsBuy().revalidate(symbol: symbol, at: now)!, price: 100,
                                    dataTime: now, instrument: testInstruments.first { $0.symbol == symbol }!)
                    }
                    rig.board.publish(chosen, scanStarted: now, scanFinished: now)
                    await rig.desk.process(rig.board.latest!, at: now)
                }
            }
            group.addTask {
                for _ in 0..<300 { await rig.desk.reconcile(at: t0 + tick()) }
            }
        }
        #expect(await rig.settleFully())
        let engine = await rig.desk.engine
        let exchange = await rig.venue.exchange
        #expect(Set(engine.positions.keys) == Set(exchange.positions.keys))
        #expect(abs(engine.cash - exchange.wallet) < 1e-6)
        #expect(engine.statistics.tradesOpened == engine.statistics.closedTrades.count + engine.positions.count)
        let reconciliations = await rig.desk.reconciliations
        #expect(engine.statistics.tradesOpened > 0 && reconciliations > 0,
                "\(engine.statistics.tradesOpened) trades, \(reconciliations) reconciliations")
    }
}
