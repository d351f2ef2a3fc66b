public import KestrelCore
public import KestrelRuntime

/// What the API reads and what its controls call. Reads take values the bot has published (the desk's status, the
/// board's latest snapshot), never the engine in place and never the journal of the running bot: a page view
/// cannot hold up a trade.
public struct APISources: Sendable {
    /// The desk's latest status.
    public var status: @Sendable () -> DeskStatus
    /// The scanner's latest snapshot.
    public var snapshot: @Sendable () -> ScanSnapshot?
    /// Carries out a person's command; `source` says where it came from ("api 127.0.0.1").
    public var control: @Sendable (_ control: EngineControl, _ source: String) async -> ControlOutcome
    /// The run's settings as `kestrel config` shows them (secrets hidden), as last loaded.
    public var settings: @Sendable () -> [APISetting]
    /// Reads the settings again (`.env` and the environment) and applies those that may change while running;
    /// `source` says who asked.
    public var reload: @Sendable (_ source: String) async -> ControlOutcome
    /// The balance the run started with, for the total PnL.
    public var startingBalance: Double
    /// The engine's time (the market's, in a replay).
    public var now: @Sendable () -> Timestamp
    /// How often the scanner runs, in engine seconds: market data older than three scans is not ready.
    public var scanIntervalSeconds: Int64
    /// The journal the bot writes, shown in the status.
    public var journalPath: String?
    /// The market the scanner reads, for charts (nil: none to chart).
    public var market: (any MarketDataSource)?
    /// The desk's events from now on (`DeskEventHub.watch()`), for the event stream.
    public var events: @Sendable () -> AsyncStream<DeskEvent>
    /// Ends every event stream: the server is stopping (an open stream would keep it waiting).
    public var endStreams: @Sendable () -> Void
    /// The run's counters (orders, requests, reconnects).
    public var counters: @Sendable () -> APICounters
    /// The run's wall-time measurements after the first ones of each (scan durations, signal ages at departure,
    /// journal commits).
    public var samples: @Sendable (_ seen: RunRecorder.Counts) -> RunRecorder.Samples

    public init(journalPath: String? = nil, market: (any MarketDataSource)? = nil,
                status: @escaping @Sendable () -> DeskStatus, snapshot: @escaping @Sendable () -> ScanSnapshot?,
                control: @escaping @Sendable (EngineControl, String) async -> ControlOutcome,
                settings: @escaping @Sendable () -> [APISetting],
                reload: @escaping @Sendable (String) async -> ControlOutcome = { _ in
                    ControlOutcome(applied: false, message: "this run has no settings to reload")
                },
                startingBalance: Double, now: @escaping @Sendable () -> Timestamp, scanIntervalSeconds: Int64,
                counters: @escaping @Sendable () -> APICounters = { APICounters() },
                samples: @escaping @Sendable (RunRecorder.Counts) -> RunRecorder.Samples = { _ in RunRecorder.Samples() },
                events: @escaping @Sendable () -> AsyncStream<DeskEvent> = { AsyncStream { $0.finish() } },
                endStreams: @escaping @Sendable () -> Void = {}) {
        self.journalPath = journalPath
        self.market = market
        self.events = events
        self.endStreams = endStreams
        self.counters = counters
        self.samples = samples
        self.status = status
        self.snapshot = snapshot
        self.control = control
        self.settings = settings
        self.reload = reload
        self.startingBalance = startingBalance
        self.now = now
        self.scanIntervalSeconds = scanIntervalSeconds
    }
}

/// One setting, by name, with its value as shown (a secret is shown as hidden).
public struct APISetting: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
