import Foundation
import Hummingbird
import KestrelCore
import KestrelRuntime

/// `GET /api/v1/...`: what the bot holds and does, from its published status and snapshot.
struct ReadRoutes: Sendable {
    let sources: APISources
    /// When the server started, for the uptime.
    let started: ContinuousClock.Instant

    func add(to router: Router<APIRequestContext>) {
        let api = router.group("/api/v1")
        api.get("status") { _, _ in JSONResponse.make(status()) }
        api.get("positions") { _, _ in
            let now = sources.now()
            return JSONResponse.make(sources.status().positions.sorted { $0.symbol < $1.symbol }
                .map { APIWire.Position($0, now: now) })
        }
        api.get("orders") { _, _ in JSONResponse.make(orders()) }
        api.get("opportunities") { _, _ in JSONResponse.make(opportunities()) }
        api.get("trades") { request, _ in JSONResponse.make(try trades(request)) }
        api.get("equity") { request, _ in JSONResponse.make(try equity(request)) }
        api.get("risk") { _, _ in JSONResponse.make(risk()) }
        api.get("config") { _, _ in
            JSONResponse.make(APIWire.Config(settings: sources.settings().map { .init(name: $0.name, value: $0.value) }))
        }
        api.get("scans") { _, _ in JSONResponse.make(scans()) }
        router.get("healthz") { _, _ in
            JSONResponse.make(APIWire.Health(ok: true, checks: [:]))
        }
        router.get("readyz") { _, _ in
            let health = readiness()
            return JSONResponse.make(health, status: health.ok ? .ok : .serviceUnavailable)
        }
    }

    func status() -> APIWire.Status {
        let status = sources.status()
        let now = sources.now()
        let drawdown = status.equityPeak > 0 ? max(0, 1 - status.equity / status.equityPeak) : 0
        return APIWire.Status(
            mode: status.mode, venue: status.venue, connected: status.connected, paused: status.entriesPaused,
            haltReason: status.haltReason, time: status.time?.iso8601,
            uptimeSeconds: (ContinuousClock.now - started).components.seconds, balance: status.cash,
            equity: status.equity, pnlToday: status.dayStartEquity > 0 ? status.equity - status.dayStartEquity : 0,
            pnlTotal: status.equity - sources.startingBalance, realizedPnl: status.realizedPnL, drawdown: drawdown,
            maxDrawdown: status.maxDrawdown, openPositions: status.positions.count,
            ordersInFlight: status.ordersInFlight, unknownOrders: status.unknownOrders.count,
            lastScan: status.latestScan.map {
                .init(sequence: $0.sequence, finishedAt: $0.finished.iso8601, ageSeconds: max(0, now - $0.finished))
            }, journalHealthy: status.journalHealthy, journal: sources.journalPath)
    }

    func orders() -> APIWire.Orders {
        let status = sources.status()
        let stops = status.positions.sorted { $0.symbol < $1.symbol }.compactMap { position in
            position.stopOrderID.map {
                APIWire.Order(clientOrderId: $0.rawValue, symbol: position.symbol, kind: "stop",
                              state: position.stopState.rawValue, triggerPrice: position.stopPrice)
            }
        }
        let unknown = status.unknownOrders.map {
            APIWire.Order(clientOrderId: $0.rawValue, symbol: nil, kind: "unknown",
                          state: "outcome_unknown", triggerPrice: nil)
        }
        return APIWire.Orders(inFlight: status.ordersInFlight, orders: stops + unknown)
    }

    func opportunities() -> APIWire.Opportunities {
        let now = sources.now()
        guard let snapshot = sources.snapshot() else { return APIWire.Opportunities(opportunities: []) }
        return APIWire.Opportunities(sequence: snapshot.sequence, scanFinished: snapshot.scanFinished.iso8601,
                                     ageSeconds: max(0, now - snapshot.scanFinished),
                                     opportunities: snapshot.opportunities.map { .init($0, now: now) })
    }

    /// `?since=` (ISO 8601 or Unix seconds): the trades closed after it, oldest first; `?limit=` (1 to 500,
    /// default 100).
    func trades(_ request: Request) throws(HTTPError) -> APIWire.Trades {
        let query = request.uri.queryParameters
        let since = try query.get("since").map { text throws(HTTPError) in
            guard let time = Timestamp(parsing: text) ?? Int64(text).map(Timestamp.init(seconds:)) else {
                throw HTTPError(.badRequest, message: "since '\(text)': expected ISO 8601 or Unix seconds")
            }
            return time
        }
        let limit = try Self.integer(query.get("limit"), name: "limit", in: 1...500) ?? 100
        let trades = sources.status().recentTrades.filter { since == nil || $0.closedAt > since! }.prefix(limit)
        return APIWire.Trades(trades: trades.map(APIWire.Trade.init), nextSince: trades.last?.closedAt.iso8601)
    }

    /// `?points=` (2 to 2000, default 500): the equity curve thinned to at most that many points, the last kept.
    func equity(_ request: Request) throws(HTTPError) -> APIWire.Equity {
        let wanted = try Self.integer(request.uri.queryParameters.get("points"), name: "points", in: 2...2_000) ?? 500
        let curve = sources.status().equityCurve
        let step = max(1, Int((Double(curve.count) / Double(wanted)).rounded(.up)))
        var peak = -Double.infinity
        var points = [APIWire.EquityPoint]()
        for (index, point) in curve.enumerated() {
            peak = max(peak, point.equity)
            guard index % step == 0 || index == curve.count - 1 else { continue }
            points.append(.init(time: point.time.iso8601, equity: point.equity,
                                drawdown: peak > 0 ? max(0, 1 - point.equity / peak) : 0))
        }
        return APIWire.Equity(points: points)
    }

    /// The risk rules' state: the day's loss against its limit, streaks, cool-downs, and the size Kelly gives now.
    func risk() -> APIWire.Risk {
        let status = sources.status()
        let now = sources.now()
        let state = status.riskState ?? RiskState(equity: status.equity, time: now)
        let rules = RiskManager(settings: status.riskSettings, maintenanceMarginRate: status.maintenanceMarginRate)
        let trades = state.tradeReturns.count
        let odds = RiskManager.odds(state.tradeReturns)
        return APIWire.Risk(
            dailyLoss: status.dailyLoss, dailyLossLimit: status.riskSettings.dailyLossLimit,
            lossStreak: state.lossStreak, winStreak: state.winStreak, paused: status.entriesPaused,
            stopsNotAcknowledged: status.unprotectedPositions,
            drawdown: state.drawdown(equity: status.equity),
            cooldowns: state.cooldownUntil.filter { $0.value > now }.sorted { $0.key < $1.key }.map {
                .init(symbol: $0.key, until: $0.value.iso8601, remainingSeconds: $0.value - now)
            },
            kelly: .init(trades: trades, tradesNeeded: RiskManager.kellyMinimumTrades,
                         active: trades >= RiskManager.kellyMinimumTrades, winRate: odds?.winRate,
                         payoffRatio: odds?.payoffRatio, baseRiskPerTrade: status.riskSettings.riskPerTrade,
                         riskPerTrade: rules.riskFraction(state: state, equity: status.equity)))
    }

    /// The scanner's timing over the run, and how old signals were when their orders left.
    func scans() -> APIWire.Scans {
        let status = sources.status()
        let now = sources.now()
        let samples = sources.samples(RunRecorder.Counts())
        func percentiles(_ durations: [Duration]) -> APIWire.Scans.Percentiles? {
            let milliseconds = durations.map(\.milliseconds)
            guard let longest = milliseconds.max() else { return nil }
            return .init(p50: percentile(milliseconds, 0.5), p99: percentile(milliseconds, 0.99), max: longest)
        }
        return APIWire.Scans(
            scans: status.latestScan?.sequence ?? 0, intervalSeconds: sources.scanIntervalSeconds,
            lastFinishedAt: status.latestScan?.finished.iso8601,
            lastAgeSeconds: status.latestScan.map { max(0, now - $0.finished) },
            lastDurationMs: samples.scans.last?.milliseconds, durationMs: percentiles(samples.scans),
            opportunities: sources.snapshot()?.opportunities.count ?? 0,
            signalAgeAtOrderMs: percentiles(samples.signalAges), journalCommitMs: percentiles(samples.journalCommits))
    }

    /// Ready to trade: market data fresh (a scan within three intervals), the venue connected and the key accepted,
    /// the journal recording.
    func readiness() -> APIWire.Health {
        let status = sources.status()
        let now = sources.now()
        let limit = max(3 * sources.scanIntervalSeconds, 60)
        let age = status.latestScan.map { now - $0.finished }
        let market = APIWire.Health.Check(ok: age.map { $0 <= limit } ?? false,
                                          detail: age.map { "last scan \($0) s ago (limit \(limit) s)" } ?? "no scan yet")
        let venue = APIWire.Health.Check(ok: status.connected && status.haltReason == nil,
                                         detail: status.haltReason.map { "stopped: \($0)" }
                                             ?? (status.connected ? "\(status.venue) connected" : "\(status.venue) disconnected"))
        let journal = APIWire.Health.Check(ok: status.journalHealthy,
                                           detail: status.journalHealthy ? "recording" : "the last commit failed")
        let checks = ["market_data": market, "venue": venue, "journal": journal]
        return APIWire.Health(ok: checks.values.allSatisfy(\.ok), checks: checks)
    }

    static func integer(_ text: String?, name: String, in range: ClosedRange<Int>) throws(HTTPError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw HTTPError(.badRequest, message: "\(name) '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
