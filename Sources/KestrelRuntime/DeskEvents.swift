public import KestrelCore
import Synchronization

/// Something the desk did or heard that a watcher (the dashboard's event stream) wants as it happens.
public enum DeskEvent: Sendable, Equatable {
    case fill(Fill)
    case opened(symbol: String, side: PositionSide, lots: Int, price: Double, stop: Double, time: Timestamp)
    case closed(ClosedTrade)
    case stopMoved(symbol: String, from: Double, to: Double, time: Timestamp)
    case scan(sequence: Int, opportunities: Int, finished: Timestamp)
    /// A person's command and what it did.
    case control(action: String, source: String, message: String)
    /// Something a person should look at: the venue lost, an order whose outcome is unknown, the key refused.
    case warning(String)
}

/// Hands each desk event to every watcher. Publishing never waits: each watcher has a buffer of its own that keeps
/// the newest 256 events, so a slow reader loses the oldest of its own events and never holds up the desk.
public final class DeskEventHub: Sendable {
    private struct State {
        var watchers: [Int: AsyncStream<DeskEvent>.Continuation] = [:]
        var nextID = 0
        var isFinished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// The events from now on, until the hub finishes or the watcher stops reading.
    public func watch() -> AsyncStream<DeskEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: DeskEvent.self, bufferingPolicy: .bufferingNewest(256))
        let id = state.withLock { state -> Int? in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.watchers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    public var watcherCount: Int { state.withLock { $0.watchers.count } }

    public func publish(_ event: DeskEvent) {
        // Most of the time nobody watches: nothing to copy.
        let watchers = state.withLock { $0.watchers.isEmpty ? [] : Array($0.watchers.values) }
        for watcher in watchers { watcher.yield(event) }
    }

    /// Ends every watcher's stream (the bot is stopping), and any later one's at once.
    public func finish() {
        let watchers = state.withLock { state in
            state.isFinished = true
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }
}
