public import KestrelCore
import Synchronization

/// The one owner of the latest scan snapshot. Readers get it at once, never waiting on a scan in progress; the
/// trader subscribes and hears about each new snapshot the moment it is published.
public final class OpportunityBoard: Sendable {
    private struct State {
        var latest: ScanSnapshot?
        var nextSequence = 1
        var subscribers: [Int: AsyncStream<ScanSnapshot>.Continuation] = [:]
        var nextSubscriber = 0
        var finished = false
    }

    private let state: Mutex<State>

    /// `firstSequence` continues a resumed run's numbering, so a snapshot is never mistaken for an earlier one.
    public init(firstSequence: Int = 1) {
        var initial = State()
        initial.nextSequence = firstSequence
        state = Mutex(initial)
    }

    /// The latest snapshot, without waiting.
    public var latest: ScanSnapshot? { state.withLock(\.latest) }

    /// Seconds since the latest scan finished, at engine time `now`.
    public func age(at now: Timestamp) -> Int64? { latest?.age(at: now) }

    /// Publishes a scan's result; returns the snapshot with its sequence number.
    @discardableResult
    public func publish(_ opportunities: [Opportunity], scanStarted: Timestamp, scanFinished: Timestamp) -> ScanSnapshot {
        let (snapshot, subscribers) = state.withLock { state -> (ScanSnapshot, [AsyncStream<ScanSnapshot>.Continuation]) in
            let snapshot = ScanSnapshot(sequence: state.nextSequence, opportunities: opportunities,
                                        scanStarted: scanStarted, scanFinished: scanFinished)
            state.nextSequence += 1
            state.latest = snapshot
            return (snapshot, Array(state.subscribers.values))
        }
        for subscriber in subscribers { subscriber.yield(snapshot) }
        return snapshot
    }

    /// Every snapshot published from now on. A slow reader sees only the newest one it missed: an older snapshot
    /// is never worth trading once a newer one exists.
    public func snapshots() -> AsyncStream<ScanSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: ScanSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        let finished = state.withLock { state -> Bool in
            guard !state.finished else { return true }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = continuation
            continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
            return false
        }
        if finished { continuation.finish() }
        return stream
    }

    /// Ends every subscription (at shutdown).
    public func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<ScanSnapshot>.Continuation] in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
