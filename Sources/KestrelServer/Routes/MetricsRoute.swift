import Foundation
import Hummingbird
import KestrelCore
import KestrelRuntime
import Metrics
import Prometheus
import Synchronization

/// `GET /metrics` in Prometheus' text format, names prefixed `kestrel_`.
///
/// The values are taken when the page is asked, from what the bot has published (the desk's status, the run's
/// counters and recorded samples): nothing on the trading path records a metric or takes a lock for one. Gauges
/// are set to the published value, counters grow by what was counted since the last scrape, and the histograms
/// take the samples recorded since then. swift-metrics' types over swift-prometheus' registry, made with the
/// factory, not bootstrapped into the process-wide metrics system: a test can run two servers in one process.
final class MetricsRoute: Sendable {
    private let sources: APISources
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// What was counted at the last scrape, and how many samples had been taken.
    private let seen = Mutex(Seen())

    private struct Seen {
        var counters = APICounters()
        var samples = RunRecorder.Counts()
        var fills = 0
        var duplicateFills = 0
        var rejections = 0
    }

    private let equity: Metrics.Gauge
    private let cash: Metrics.Gauge
    private let openPositions: Metrics.Gauge
    private let unprotected: Metrics.Gauge
    private let realizedPnL: Metrics.Gauge
    private let drawdown: Metrics.Gauge
    private let paused: Metrics.Gauge
    private let connected: Metrics.Gauge
    private let ordersInFlight: Metrics.Gauge
    private let ordersUnknown: Metrics.Gauge
    private let scanAge: Metrics.Gauge
    private let journalHealthy: Metrics.Gauge
    private let monitorGap: Metrics.Gauge
    private let scanDuration: Metrics.Timer
    private let opportunityAge: Metrics.Timer
    private let journalCommit: Metrics.Timer

    init(sources: APISources) {
        self.sources = sources
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        func gauge(_ name: String) -> Metrics.Gauge { Metrics.Gauge(label: "kestrel_" + name, factory: factory) }
        equity = gauge("equity")
        cash = gauge("cash")
        openPositions = gauge("open_positions")
        unprotected = gauge("positions_without_acknowledged_stop")
        realizedPnL = gauge("realized_pnl")
        drawdown = gauge("drawdown")
        paused = gauge("entries_paused")
        connected = gauge("venue_connected")
        ordersInFlight = gauge("orders_in_flight")
        ordersUnknown = gauge("orders_outcome_unknown")
        scanAge = gauge("last_scan_age_seconds")
        journalHealthy = gauge("journal_healthy")
        monitorGap = gauge("monitor_max_gap_seconds")
        scanDuration = Metrics.Timer(label: "kestrel_scan_duration_seconds", factory: factory)
        opportunityAge = Metrics.Timer(label: "kestrel_opportunity_age_at_order_seconds", factory: factory)
        journalCommit = Metrics.Timer(label: "kestrel_journal_commit_seconds", factory: factory)
    }

    func add(to router: Router<APIRequestContext>) {
        router.get("metrics") { _, _ in
            let text = self.scrape()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8",
                                                   .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// Brings every metric up to what the bot has published, then renders the registry.
    func scrape() -> [UInt8] {
        let status = sources.status()
        let now = sources.now()
        equity.record(status.equity)
        cash.record(status.cash)
        openPositions.record(Double(status.positions.count))
        unprotected.record(Double(status.unprotectedPositions))
        realizedPnL.record(status.realizedPnL)
        drawdown.record(status.equityPeak > 0 ? max(0, 1 - status.equity / status.equityPeak) : 0)
        paused.record(status.entriesPaused ? 1 : 0)
        connected.record(status.connected && status.haltReason == nil ? 1 : 0)
        ordersInFlight.record(Double(status.ordersInFlight))
        ordersUnknown.record(Double(status.unknownOrders.count))
        scanAge.record(Double(status.latestScan.map { max(0, now - $0.finished) } ?? -1))
        journalHealthy.record(status.journalHealthy ? 1 : 0)
        monitorGap.record(Double(status.maxMonitorGapSeconds))

        let counters = sources.counters()
        let (before, samples) = seen.withLock { seen in
            let before = seen
            let samples = sources.samples(seen.samples)
            seen.counters = counters
            seen.samples = seen.samples + samples.counts
            seen.fills = status.fillsHeard
            seen.duplicateFills = status.duplicateFills
            seen.rejections = status.rejections
            return (before, samples)
        }
        for duration in samples.scans { scanDuration.record(duration: duration) }
        for age in samples.signalAges { opportunityAge.record(duration: age) }
        for commit in samples.journalCommits { journalCommit.record(duration: commit) }
        func grow(_ name: String, _ dimensions: [(String, String)] = [], by now: Int, from earlier: Int) {
            let counter = Metrics.Counter(label: "kestrel_" + name, dimensions: dimensions, factory: factory)
            // Counted from this server's start: a counter that went down (a new run) starts again.
            counter.increment(by: Int64(max(0, now - (now >= earlier ? earlier : 0))))
        }
        let previous = before.counters
        grow("orders_total", [("outcome", "sent")], by: counters.ordersSent, from: previous.ordersSent)
        grow("orders_total", [("outcome", "outcome_unknown")], by: counters.ordersOutcomeUnknown,
             from: previous.ordersOutcomeUnknown)
        grow("orders_total", [("outcome", "resolved_by_lookup")], by: counters.ordersResolvedByLookup,
             from: previous.ordersResolvedByLookup)
        grow("orders_total", [("outcome", "resent")], by: counters.ordersResent, from: previous.ordersResent)
        grow("trades_closed_total", by: counters.tradesClosed, from: previous.tradesClosed)
        grow("fills_total", by: status.fillsHeard, from: before.fills)
        grow("fills_duplicated_total", by: status.duplicateFills, from: before.duplicateFills)
        grow("order_rejections_total", by: status.rejections, from: before.rejections)
        for (endpoint, count) in counters.restRequests.sorted(by: { $0.key < $1.key }) {
            grow("rest_requests_total", [("endpoint", endpoint)], by: count, from: previous.restRequests[endpoint] ?? 0)
        }
        for (answer, count) in counters.restAnswers.sorted(by: { ($0.key.endpoint, $0.key.status) < ($1.key.endpoint, $1.key.status) }) {
            grow("rest_responses_total", [("endpoint", answer.endpoint), ("status", answer.status)], by: count,
                 from: previous.restAnswers[answer] ?? 0)
        }
        grow("rest_rate_limited_total", by: counters.restRateLimited, from: previous.restRateLimited)
        for (pool, remaining) in counters.rateLimitRemaining.sorted(by: { $0.key < $1.key }) {
            Metrics.Gauge(label: "kestrel_rate_limit_remaining", dimensions: [("pool", pool)], factory: factory)
                .record(Double(remaining))
        }
        grow("websocket_reconnects_total", by: counters.webSocketReconnects, from: previous.webSocketReconnects)
        var text = [UInt8]()
        registry.emit(into: &text)
        return text
    }
}
