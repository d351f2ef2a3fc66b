import KestrelCore
import Synchronization
import Testing

/// Work over many items, a few at a time: every item's output reaches the caller once, under its index, and no more
/// than the width run at once.
@Suite struct BoundedConcurrencyTests {
    struct Boom: Error {}

    @Test func everyOutputArrivesOnceAndTheWidthHolds() async throws {
        let running = Mutex((now: 0, most: 0))
        var outputs = [Int?](repeating: nil, count: 40)
        try await Array(0..<40).forEachConcurrently(width: 3, { item in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            try await Task.sleep(for: .milliseconds(1))
            running.withLock { $0.now -= 1 }
            return item * item
        }) { index, output in
            #expect(outputs[index] == nil, "item \(index) collected twice")
            outputs[index] = output
        }
        #expect(outputs == (0..<40).map { $0 * $0 })
        #expect(running.withLock { $0.most } <= 3)
        #expect(running.withLock { $0.most } >= 2, "the items ran side by side")
    }

    @Test func aFailureStartsNothingMoreAndIsThrown() async throws {
        let started = Mutex(0)
        await #expect(throws: Boom.self) {
            try await Array(0..<100).forEachConcurrently(width: 2, { item in
                started.withLock { $0 += 1 }
                if item == 3 { throw Boom() }
                return item
            }) { _, _ in }
        }
        #expect(started.withLock { $0 } < 100)
    }
}
