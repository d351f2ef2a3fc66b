import KestrelCore
import KestrelRuntime
import Testing

@Suite struct ReconcileRaceTests {
    @Test func reconcilingWhileTradingKeepsTheBooks() async throws {
        let rig = Rig(maxOpenPositions: 2)
        for symbol in symbols { await rig.price(symbol, 100) }
        await withDiscardingTaskGroup { group in
            for worker in 0..<2 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    for step in 0..<500 {
                        let symbol = symbols[(worker + step) % symbols.count]
                        let price = step % 50 == 49 ? Double.random(in: 85...115, using: &random)
                            : Double.random(in: 99.7...100.3, using: &random)
                        await rig.price(symbol, price, at: t0 + Int64(step))
                    }
                }
            }
            group.addTask {
                for sequence in 0..<200 {
                    let chosen = symbols.shuffled().prefix(2).map { symbol in
                        Opportunity(result: ConfirmsBuy().revalidate(symbol: symbol, at: t0)!, price: 100,
                                    dataTime: t0, instrument: testInstruments.first { $0.symbol == symbol }!)
                    }
                    rig.board.publish(chosen, scanStarted: t0 + Int64(sequence), scanFinished: t0 + Int64(sequence))
                    await rig.desk.process(rig.board.latest!, at: t0 + Int64(sequence))
                }
            }
            group.addTask {
                for step in 0..<300 { await rig.desk.reconcile(at: t0 + Int64(step)) }
            }
        }
        #expect(await rig.settleFully())
        let engine = await rig.desk.engine
        let exchange = await rig.venue.exchange
        #expect(Set(engine.positions.keys) == Set(exchange.positions.keys))
        #expect(abs(engine.cash - exchange.wallet) < 1e-6)
        #expect(engine.statistics.tradesOpened == engine.statistics.closedTrades.count + engine.positions.count)
        let reconciliations = await rig.desk.reconciliations
        #expect(engine.statistics.tradesOpened > 3 && reconciliations > 100,
                "\(engine.statistics.tradesOpened) trades, \(reconciliations) reconciliations")
    }
}
