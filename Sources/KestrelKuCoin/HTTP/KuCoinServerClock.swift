import Foundation
import Synchronization

/// KuCoin's clock as seen from here: the offset between the server's time and this machine's, measured over
/// `/api/v1/timestamp` and taken at the middle of the request's round trip.
///
/// A machine's clock drifts, and KuCoin refuses a signed request whose timestamp is more than a few seconds off
/// (400002): the offset is measured at start and again every so often, and after such a refusal.
public final class KuCoinServerClock: Sendable {
    private let client: KuCoinRESTClient
    /// The machine's time, in milliseconds since 1970.
    private let localMilliseconds: @Sendable () -> Int64
    private let state = Mutex<(offset: Int64, roundTrip: Int64, measured: Bool)>((0, 0, false))

    /// `localMilliseconds` is this machine's clock; the system's by default.
    public init(client: KuCoinRESTClient, localMilliseconds: (@Sendable () -> Int64)? = nil) {
        self.client = client
        self.localMilliseconds = localMilliseconds ?? { Int64(Date().timeIntervalSince1970 * 1_000) }
    }

    /// Server time minus this machine's, in milliseconds, as last measured (0 before the first measurement).
    public var offsetMilliseconds: Int64 { state.withLock { $0.offset } }

    /// The round trip of the last measurement, in milliseconds: the offset is known to within half of it.
    public var roundTripMilliseconds: Int64 { state.withLock { $0.roundTrip } }

    /// The server's time now, in milliseconds, by this machine's clock and the offset.
    public var nowMilliseconds: Int64 { localMilliseconds() + offsetMilliseconds }

    /// Measures the offset again; returns it.
    @discardableResult
    public func synchronise(priority: RequestPriority = .reconciliation) async throws -> Int64 {
        let sent = localMilliseconds()
        let server = try await client.send(.serverTime, priority: priority, as: Int64.self)
        let received = localMilliseconds()
        let offset = server - (sent + received) / 2
        state.withLock { $0 = (offset, received - sent, true) }
        return offset
    }
}
