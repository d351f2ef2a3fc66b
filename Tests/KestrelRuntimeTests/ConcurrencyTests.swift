import Clocks
import KestrelCore
import KestrelRuntime
import Logging
import ServiceLifecycle
import Testing

@Suite(.serialized, .timeLimit(.minutes(1))) struct ConcurrencyTests {
    /// The seed's promise, measured: while a scan takes 30 s, the trader still trades on the previous snapshot and
    /// the position monitor never misses a tick.
    @Test func aSlowScanDelaysNeitherTradingNorMonitoring() async throws {
        let rig = Rig(maxOpenPositions: 1, script: .init(durations: [2: .seconds(30)]))
        for symbol in symbols { await rig.price(symbol, 100) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await rig.scannerService().run() }
            group.addTask { try await rig.traderService().run() }
            group.addTask { try await rig.monitorService().run() }
            // Scan 1 is instant: AAA (best score) is bought at once.
            #expect(await eventually { await rig.desk.engine.positions["AAAUSDT"] != nil })
            await rig.advance(seconds: 61)
            // Scan 2 started at t0+60 and will take until t0+90.
            #expect(await eventually { rig.source.script.withLock(\.scansInProgress) == 1 })
            let ticksBefore = await rig.desk.engine.statistics.monitorTicks
            await rig.advance(seconds: 4)
            // AAA is stopped out mid-scan: the freed slot is filled from the previous snapshot (BBB) right away.
            await rig.price("AAAUSDT", 90)
            #expect(await eventually { await rig.desk.engine.positions["BBBUSDT"] != nil })
            #expect(rig.board.latest?.sequence == 1)
            #expect(rig.source.script.withLock(\.scansInProgress) == 1)
            await rig.advance(seconds: 20)
            // The monitor ticked every 5 s through the scan.
            let ticksDuring = await rig.desk.engine.statistics.monitorTicks - ticksBefore
            #expect(ticksDuring >= 4)
            #expect(await rig.desk.engine.statistics.maxMonitorGapSeconds <= 5)
            await rig.advance(seconds: 10)
            #expect(await eventually { rig.board.latest?.sequence == 2 })
            group.cancelAll()
        }
    }

    @Test func aNewSnapshotIsActedOnImmediately() async throws {
        let rig = Rig(maxOpenPositions: 3)
        for symbol in symbols { await rig.price(symbol, 100) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await rig.traderService().run() }
            try? await Task.sleep(for: .milliseconds(20))
            let opportunity = Opportunity(result: ConfirmsBuy().revalidate(symbol: "CCCUSDT", at: t0)!, price: 100,
                                          dataTime: t0, instrument: testInstruments[2])
            // No clock time passes: the trader does not wait for a cycle.
            rig.board.publish([opportunity], scanStarted: t0, scanFinished: t0)
            #expect(await eventually { await rig.desk.engine.positions["CCCUSDT"] != nil })
            #expect(rig.engineClock.now == t0)
            group.cancelAll()
        }
    }

    @Test func shutdownInTheMiddleOfALongScanIsPrompt() async throws {
        let rig = Rig(script: .init(durations: [1: .seconds(3600)]))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: rig.monitorService()), .init(service: rig.traderService()),
                       .init(service: rig.scannerService())],
            logger: quietLogger("test.lifecycle")))
        let running = Task { try await group.run() }
        #expect(await eventually { rig.source.script.withLock(\.scansInProgress) == 1 })
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(1))
        #expect(rig.source.script.withLock(\.cancelledScans) == 1)
        #expect(rig.board.latest == nil)
    }

    @Test func aFailedScanIsRetriedAndTheServiceGoesOn() async throws {
        let rig = Rig(maxOpenPositions: 3, script: .init(failing: [1, 2]))
        for symbol in symbols { await rig.price(symbol, 100) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await rig.scannerService(interval: 10).run() }
            group.addTask { try await rig.traderService().run() }
            #expect(await eventually { rig.source.script.withLock(\.scans) == 1 })
            #expect(rig.board.latest == nil)
            // Backoff: 20 s after the first failure, 40 s after the second.
            await rig.advance(seconds: 20)
            #expect(await eventually { rig.source.script.withLock(\.scans) == 2 })
            await rig.advance(seconds: 40)
            #expect(await eventually { rig.board.latest?.sequence == 1 })
            #expect(await eventually { await rig.desk.engine.positions.count == 3 })
            group.cancelAll()
        }
    }

    @Test func aRejectedTradeDoesNotStopTrading() async throws {
        // The exchange does not list CCC: its order is refused, the others go through.
        let rig = Rig(maxOpenPositions: 3, exchangeInstruments: Array(testInstruments.prefix(2)))
        for symbol in symbols { await rig.price(symbol, 100) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await rig.traderService().run() }
            try? await Task.sleep(for: .milliseconds(20))
            let make = { (index: Int) in
                Opportunity(result: ConfirmsBuy().revalidate(symbol: symbols[index], at: t0)!, price: 100,
                            dataTime: t0, instrument: testInstruments[index])
            }
            rig.board.publish([make(2)], scanStarted: t0, scanFinished: t0)
            #expect(await eventually { await rig.desk.engine.statistics.rejections == 1 })
            rig.board.publish([make(0), make(1)], scanStarted: t0, scanFinished: t0)
            #expect(await eventually { await rig.desk.engine.positions.count == 2 })
            group.cancelAll()
        }
    }

    /// Many snapshots, prices and ticks at once from concurrent tasks: no order is lost or sent twice and no limit
    /// is exceeded.
    @Test func stressManyConcurrentEvents() async throws {
        let rig = Rig(maxOpenPositions: 2)
        for symbol in symbols { await rig.price(symbol, 100) }
        await withDiscardingTaskGroup { group in
            for worker in 0..<4 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    for step in 0..<500 {
                        let symbol = symbols[(worker + step) % symbols.count]
                        await rig.price(symbol, stressPrice(step: step, using: &random), at: t0 + Int64(step))
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
                for step in 0..<500 { await rig.desk.tick(at: t0 + Int64(step)) }
            }
        }
        #expect(await rig.settleFully())
        let engine = await rig.desk.engine
        let exchange = await rig.venue.exchange
        let ids = rig.recorder.ordersSubmitted
        #expect(Set(ids).count == ids.count)
        #expect(engine.positions.count <= 2)
        #expect(exchange.positions.count <= 2)
        #expect(Set(engine.positions.keys) == Set(exchange.positions.keys))
        for position in engine.positions.values { #expect(exchange.positions[position.symbol]?.lots == position.lots) }
        #expect(engine.statistics.tradesOpened == engine.statistics.closedTrades.count + engine.positions.count)
        #expect(abs(engine.cash - exchange.wallet) < 1e-6)
        #expect(engine.statistics.tradesOpened > 0)
    }
}
