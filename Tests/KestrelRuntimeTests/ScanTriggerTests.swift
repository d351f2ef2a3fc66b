import KestrelCore
@testable import KestrelRuntime
import Testing

/// The scanner woken by a live market's closed candles, before its interval is up.
@Suite struct ScanTriggerTests {
    @Test func aRingWakesTheWaiterAndRingsWhileNobodyWaitsAreKeptAsOne() async {
        let trigger = ScanTrigger()
        trigger.ring()
        trigger.ring()
        // Kept: the first wait returns at once.
        await trigger.wait()
        let woken = Task { await trigger.wait() }
        // Let the waiter suspend first (a ring before it would be kept and pass too).
        try? await Task.sleep(for: .milliseconds(20))
        trigger.ring()
        await woken.value
        // The two early rings made one: a new wait does not return until rung again or cancelled.
        let waiting = Task { await trigger.wait() }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await waiting.value
    }

    @Test func aCancelledWaitReturnsEvenWhenCancelledBeforeItBegan() async {
        let trigger = ScanTrigger()
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await trigger.wait()
        }
        await waiting.value
    }

    @Test func theScannerScansAtOnceWhenRungAndOtherwiseKeepsItsInterval() async throws {
        let rig = Rig()
        let trigger = ScanTrigger()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await rig.scannerService(interval: 120, trigger: trigger).run() }
            #expect(await eventually { rig.board.latest?.sequence == 1 })
            // No time passes: only the ring can start the next scan.
            trigger.ring()
            #expect(await eventually { rig.board.latest?.sequence == 2 })
            #expect(rig.source.script.withLock(\.scans) == 2)
            // Without a ring, the two minutes hold.
            try await Task.sleep(for: .milliseconds(100))
            #expect(rig.board.latest?.sequence == 2)
            await rig.advance(seconds: 120)
            #expect(await eventually { rig.board.latest?.sequence == 3 })
            group.cancelAll()
        }
    }
}
