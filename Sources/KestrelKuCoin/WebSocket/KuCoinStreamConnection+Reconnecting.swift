import Foundation

extension KuCoinStreamConnection {
    /// The pauses between attempts to connect: none after a connection that got every topic subscribed, then,
    /// while attempts keep failing, `first` doubling up to `longest`, each jittered by a quarter either way.
    struct Backoff: Sendable {
        var first: Duration
        var longest: Duration

        /// The pause after `failures` attempts in a row that did not get their topics subscribed; nil: at once.
        func pause(afterFailures failures: Int) -> Duration? {
            guard failures > 1 else { return nil }
            return min(longest, first * Double(1 << min(failures - 2, 10))) * Double.random(in: 0.75...1.25)
        }
    }

    /// Connects, and connects again after each break, until the task is cancelled: a new bullet every time (tokens
    /// expire), the first attempt after a break at once and the next ones after `backoff`'s pauses.
    ///
    /// - Parameters:
    ///   - bullet: asks KuCoin for a token and the servers (public or private).
    ///   - signal: what each connection tells, with whether it is a reconnection (not the first attempt).
    ///   - broke: why a connection, or the attempt to make one, ended (never a cancellation); it answers whether to
    ///     connect again (no: the failure is one that trying again cannot mend, such as a refused key).
    func keepRunning(backoff: Backoff, bullet: @escaping @Sendable () async throws -> KuCoinBullet,
                     signal: @escaping @Sendable (Signal, _ reconnected: Bool) async -> Void,
                     broke: @escaping @Sendable (any Error) async -> Bool) async {
        var failures = 0
        var reconnected = false
        while !Task.isCancelled {
            // Whether this connection got every topic subscribed: then its break is a first failure again.
            let subscribed = Locked(false)
            do {
                let bullet = try await bullet()
                try await run(bullet: bullet, connectID: UUID().uuidString) { [reconnected] received in
                    if case .subscribed = received { subscribed.withLock { $0 = true } }
                    await signal(received, reconnected)
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                guard await broke(error) else { return }
            }
            reconnected = true
            failures = subscribed.withLock { $0 } ? 1 : failures + 1
            guard let pause = backoff.pause(afterFailures: failures) else { continue }
            do {
                try await Task.sleep(for: pause)
            } catch {
                return
            }
        }
    }
}
