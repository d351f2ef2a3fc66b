public import KestrelCore
import Synchronization

/// Measurements of a run that the engine cannot take itself because they are about wall time: how long scans
/// take, how old a signal is when its order leaves, and how long the journal takes to commit a step.
public final class RunRecorder: Sendable {
    private struct State {
        var scanDurations: [Duration] = []
        var signalAges: [Duration] = []
        var journalCommits: [Duration] = []
        var ordersSubmitted: [ClientOrderID] = []
    }

    /// How many of each measurement a reader has seen.
    public struct Counts: Sendable, Equatable {
        public var scans = 0
        public var signalAges = 0
        public var journalCommits = 0

        public init() {}

        public static func + (seen: Counts, more: Counts) -> Counts {
            var total = seen
            total.scans += more.scans
            total.signalAges += more.signalAges
            total.journalCommits += more.journalCommits
            return total
        }
    }

    /// Measurements, oldest first.
    public struct Samples: Sendable, Equatable {
        public var scans: [Duration] = []
        public var signalAges: [Duration] = []
        public var journalCommits: [Duration] = []

        public init(scans: [Duration] = [], signalAges: [Duration] = [], journalCommits: [Duration] = []) {
            self.scans = scans
            self.signalAges = signalAges
            self.journalCommits = journalCommits
        }

        public var counts: Counts {
            var counts = Counts()
            counts.scans = scans.count
            counts.signalAges = signalAges.count
            counts.journalCommits = journalCommits.count
            return counts
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func recordScan(wallDuration: Duration) {
        state.withLock { $0.scanDurations.append(wallDuration) }
    }

    /// The desk handed `request` to the router.
    public func recordSubmission(_ request: OrderRequest) {
        state.withLock { $0.ordersSubmitted.append(request.id) }
    }

    /// The router started sending entry `request`, `signalAge` after the step that re-validated its signal began.
    public func recordDeparture(_ request: OrderRequest, signalAge: Duration) {
        guard request.purpose == .entry else { return }
        state.withLock { $0.signalAges.append(signalAge) }
    }

    /// The journal committed a step in `duration`.
    public func recordJournalCommit(_ duration: Duration) {
        state.withLock { $0.journalCommits.append(duration) }
    }

    /// The measurements after the first `seen` of each (what a reader has not seen yet), copied under the lock
    /// without the rest.
    public func samples(after seen: Counts = Counts()) -> Samples {
        state.withLock { state in
            Samples(scans: Array(state.scanDurations.dropFirst(seen.scans)),
                    signalAges: Array(state.signalAges.dropFirst(seen.signalAges)),
                    journalCommits: Array(state.journalCommits.dropFirst(seen.journalCommits)))
        }
    }

    public var scans: Int { state.withLock(\.scanDurations.count) }
    public var scanDurations: [Duration] { state.withLock(\.scanDurations) }
    public var signalAges: [Duration] { state.withLock(\.signalAges) }
    public var ordersSubmitted: [ClientOrderID] { state.withLock(\.ordersSubmitted) }
}

/// The run's results in the shape `--summary-json` writes.
public struct RunSummary: Encodable, Sendable {
    public struct Percentiles: Encodable, Sendable {
        public var p50: Double
        public var p99: Double
        public var max: Double?
    }

    public struct AgeSummary: Encodable, Sendable {
        public var p50: Double
        public var max: Double
    }

    public var trades_opened: Int
    public var trades_closed: Int
    public var realized_pnl: Double
    public var win_rate: Double
    public var max_drawdown: Double
    public var scans: Int
    public var scan_duration_ms: Percentiles
    public var opportunity_age_ms: Percentiles
    public var snapshot_age_s: AgeSummary
    public var monitor_max_gap_s: Double
    public var starting_balance: Double
    public var final_equity: Double
    public var open_positions: Int
    public var orders_submitted: Int
    public var order_rejections: Int
    public var market_from: String
    public var market_to: String
    /// Fills a venue reported again (the same trade id), counted once.
    public var fills_duplicated_ignored: Int
    /// Orders whose placement may have acted with no answer, and of those, how many a lookup found.
    public var orders_outcome_unknown = 0
    public var orders_resolved_by_lookup = 0
    /// Orders the venue never received after such a failure, sent again under the same id.
    public var orders_resent = 0
    /// Stops moved or resized (each a replacement on the venue).
    public var stops_replaced: Int
    /// The longest any position was open without an acknowledged stop, engine seconds.
    public var unprotected_max_s: Double
    /// Positions closed because no stop could be placed within the grace.
    public var closed_unprotected: Int
    public var reconciliations = 0
    /// Broken invariants found after the final reconciliation (0: engine, venue and journal agree).
    public var invariant_violations = 0
    /// On a live exchange's market data (absent on a replay): REST requests by endpoint, warm-up included; those per
    /// scan after the warm-up; the warm-up's requests and seconds; WebSocket reconnects; 429s received; and symbols a
    /// scan skipped because their candles were behind.
    public var rest_requests: [String: Int]?
    public var rest_requests_per_scan: Double?
    public var warm_up_requests: Int?
    public var warm_up_s: Double?
    public var ws_reconnects: Int?
    public var rate_limited: Int?
    public var stale_symbols_skipped: Int?

    public init(engine: TradingEngine, recorder: RunRecorder, startingBalance: Double, marketFrom: Timestamp,
                marketTo: Timestamp) {
        let stats = engine.statistics
        trades_opened = stats.tradesOpened
        trades_closed = stats.closedTrades.count
        realized_pnl = stats.realizedPnL
        win_rate = stats.winRate
        max_drawdown = stats.maxDrawdown
        scans = recorder.scans
        let scanMillis = recorder.scanDurations.map(\.milliseconds)
        scan_duration_ms = Percentiles(p50: percentile(scanMillis, 0.5), p99: percentile(scanMillis, 0.99), max: nil)
        let ages = recorder.signalAges.map(\.milliseconds)
        opportunity_age_ms = Percentiles(p50: percentile(ages, 0.5), p99: percentile(ages, 0.99),
                                         max: ages.max() ?? 0)
        let snapshotAges = stats.snapshotAges.map(Double.init)
        snapshot_age_s = AgeSummary(p50: percentile(snapshotAges, 0.5), max: snapshotAges.max() ?? 0)
        monitor_max_gap_s = Double(stats.maxMonitorGapSeconds)
        starting_balance = startingBalance
        final_equity = engine.equity
        open_positions = engine.positions.count
        orders_submitted = recorder.ordersSubmitted.count
        order_rejections = stats.rejections
        market_from = marketFrom.iso8601
        market_to = marketTo.iso8601
        fills_duplicated_ignored = stats.duplicateFills
        stops_replaced = stats.stopsReplaced
        unprotected_max_s = Double(stats.maxUnprotectedSeconds)
        closed_unprotected = stats.closedUnprotected
    }

    /// Adds what the order router and the final checks counted.
    public mutating func addExecution(router: OrderRouter.Counters, invariantViolations: Int, reconciliations: Int) {
        orders_outcome_unknown = router.outcomeUnknown
        orders_resolved_by_lookup = router.resolvedByLookup
        orders_resent = router.resent
        invariant_violations = invariantViolations
        self.reconciliations = reconciliations
    }
}

/// Nearest-rank percentile; 0 for no samples.
public func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
