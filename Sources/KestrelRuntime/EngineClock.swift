public import KestrelCore

/// Engine time (UTC seconds) read from any clock, so one service runs live on the wall clock, replays history at
/// 3600x on a `ReplayClock`, and runs deterministically in tests on a test clock.
public struct EngineClock<C: Clock>: Sendable where C.Duration == Duration {
    public let clock: C
    private let origin: C.Instant
    private let originTime: Timestamp

    /// Engine time `originTime` corresponds to the clock's present instant.
    public init(clock: C, startingAt originTime: Timestamp) {
        self.clock = clock
        origin = clock.now
        self.originTime = originTime
    }

    public var now: Timestamp {
        let elapsed = origin.duration(to: clock.now)
        return originTime + elapsed.components.seconds
    }

    /// Sleeps until engine time reaches `time`.
    public func sleep(until time: Timestamp) async throws {
        try await clock.sleep(until: origin.advanced(by: .seconds(time - originTime)), tolerance: nil)
    }

    public func sleep(for duration: Duration) async throws {
        try await clock.sleep(for: duration)
    }
}

/// A clock that runs `speed` times faster than the wall clock: the market replay's time.
public struct ReplayClock: Clock {
    public struct Instant: InstantProtocol {
        /// Replay time elapsed since the clock started.
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    public let speed: Double
    private let start: ContinuousClock.Instant

    public init(speed: Double) {
        precondition(speed > 0, "a replay runs forward")
        self.speed = speed
        start = ContinuousClock.now
    }

    public var now: Instant { Instant(offset: (ContinuousClock.now - start) * speed) }
    public var minimumResolution: Duration { .microseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await ContinuousClock().sleep(until: start + deadline.offset / speed, tolerance: nil)
    }
}
