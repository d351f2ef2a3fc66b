import ArgumentParser
import Foundation
import KestrelCore
import KestrelKuCoin
import KestrelMarketData
import KestrelRuntime
import Logging
import ServiceLifecycle

/// What a market's feed is given to work with: the run's desk, venue, clock, start and settings.
struct FeedWiring {
    var desk: TradingDesk
    /// The paper venue of a paper run (it fills at the feed's prices); nil for a live run.
    var paper: PaperVenue?
    /// The KuCoin account of a live run.
    var account: KuCoinVenue?
    var clock: EngineClock<ReplayClock>
    var start: Timestamp
    var settings: BotSettings
}

/// The market a run trades on: a replay of recorded candles, or KuCoin's market as it is now.
struct RunMarket {
    /// Every instrument the engine and the paper exchange know.
    var instruments: [Instrument]
    /// Each instrument's maker and taker fee rates, where the venue lists them (a live account's streamed fills carry
    /// none).
    var fees: [String: (maker: Double, taker: Double)] = [:]
    var revalidator: any SignalRevalidator
    /// What the scanner reads.
    var source: any MarketDataSource
    /// Engine seconds per wall-clock second.
    var speed: Double
    /// Where a new run starts.
    var start: Timestamp
    /// Whether a resumed run goes on from where it was saved (a replay), or from now (a live market).
    var resumesWhereSaved: Bool
    /// A resumed run must have been saved before this (the end of a replay's data).
    var end: Timestamp?
    /// The banner's line: what is traded.
    var description: String
    /// Rung when candles close, so the scanner runs at once (a live market); nil: the scanner keeps its interval.
    var scanTrigger: ScanTrigger? = nil
    /// The service that brings the market's prices to the venue and the desk, from the run's start on.
    var feed: (FeedWiring) -> ServiceGroupConfiguration.ServiceConfiguration
    /// After the run: what the market data cost goes into the summary.
    var report: (inout RunSummary) -> Void = { _ in }
    /// What the market data has cost so far (REST requests by endpoint, 429s, stream reconnects), for `/metrics`.
    var traffic: @Sendable () -> (requests: KuCoinRESTClient.Tally, reconnects: Int) = { (.init(), 0) }
    /// Closes the market's connections; called once, however the run ends.
    var close: () async -> Void = {}

    /// The embedded market, or the candle files of `data`, replayed from `from` at `speed`.
    static func replay(data: String?, from: String?, speed: Double, strategy: DefaultStrategy) throws -> RunMarket {
        let market = try MarketLoading.market(directory: data, timeframes: strategy.requirements.map(\.timeframe))
        guard let range = market.timeRange else { throw ValidationError("the market holds no candles") }
        let start: Timestamp
        if let from {
            start = try OptionTime.parse(from, option: "--from", within: range)
        } else {
            // The embedded market's last quarter; for other data, 60 days in (enough history for daily candles).
            let embeddedDefault = Timestamp(parsing: "2019-07-01T00:00:00Z")!
            start = data == nil && range.contains(embeddedDefault) ? embeddedDefault
                : min(range.upperBound, range.lowerBound + 60 * 86_400)
        }
        return RunMarket(
            instruments: market.listing(at: range.lowerBound),
            revalidator: HistoricalSignals(market: market, strategy: strategy), source: market, speed: speed,
            start: start, resumesWhereSaved: true, end: range.upperBound,
            description: "a replay of \(market.symbols.count) markets at \(NumberText.compact(speed))x",
            feed: { wiring in
                .init(service: MarketReplayService(market: market, desk: wiring.desk, venue: wiring.paper,
                                                   clock: wiring.clock, from: wiring.start,
                                                   logger: Logger(label: "kestrel.replay")),
                      successTerminationBehavior: .gracefullyShutdownGroup)
            })
    }

    /// KuCoin Futures' market now: the universe listed, each symbol's history loaded over REST, then streamed.
    static func kucoin(_ options: ExchangeOptions, strategy: DefaultStrategy, logger: Logger) async throws -> RunMarket {
        let client = try options.kucoinClient()
        do {
            let rest = KuCoinMarketData(client: client, logger: Logger(label: "kestrel.kucoin"))
            // Engine time is KuCoin's: the run's clock starts at the server's time.
            let serverClock = KuCoinServerClock(client: client)
            try await serverClock.synchronise(priority: .marketData)
            let now = Timestamp(seconds: serverClock.nowMilliseconds / 1_000)
            let live = KuCoinLiveMarket(rest: rest, requirements: strategy.requirements,
                                        logger: Logger(label: "kestrel.kucoin"))
            let clock = ContinuousClock()
            let warmUpStarted = clock.now
            logger.notice("📡 Loading KuCoin Futures' market: the universe, then each symbol's 1h, 4h and 1d history")
            let symbols = try await live.warmUp(at: now, progress: { done, total in
                if done == total || done % 25 == 0 { logger.info("📡 History loaded for \(done) of \(total) symbols") }
            })
            guard !symbols.isEmpty else {
                throw ValidationError("KuCoin lists no USDT perpetual that passes the volume filter")
            }
            let warmUpSeconds = (clock.now - warmUpStarted).milliseconds / 1_000
            let warmUpRequests = client.requests.total
            logger.notice("📡 \(symbols.count) symbols ready in \(String(format: "%.1f", warmUpSeconds)) s (\(warmUpRequests) requests); streaming from now on")
            let trigger = ScanTrigger()
            let stream = KuCoinPublicStream(
                client: client,
                topics: KuCoinPublicStream.topics(candlesOf: symbols, timeframe: live.base, tickers: true),
                logger: Logger(label: "kestrel.kucoin.stream"))
            return RunMarket(
                instruments: live.heldInstruments, fees: live.fees,
                revalidator: StreamedSignals(market: live, strategy: strategy), source: live, speed: 1, start: now,
                resumesWhereSaved: false, end: nil,
                description: "KuCoin Futures' live market (\(symbols.count) symbols, paper fills)",
                scanTrigger: trigger,
                feed: { wiring in
                    .init(service: KuCoinFeedService(
                        live: live, stream: stream, desk: wiring.desk, paper: wiring.paper, account: wiring.account,
                        clock: wiring.clock,
                        trigger: trigger, serverClock: serverClock, universeRefresh: .seconds(wiring.settings.universeRefreshInterval),
                        logger: Logger(label: "kestrel.kucoin.stream")))
                },
                report: { summary in
                    let tally = client.requests
                    summary.rest_requests = tally.byEndpoint
                    summary.warm_up_requests = warmUpRequests
                    summary.warm_up_s = warmUpSeconds
                    summary.rest_requests_per_scan = summary.scans > 0
                        ? Double(tally.total - warmUpRequests - stream.bulletsRequested) / Double(summary.scans) : 0
                    summary.ws_reconnects = stream.reconnects
                    summary.rate_limited = tally.rateLimited
                    summary.stale_symbols_skipped = live.staleSkips
                },
                traffic: {
                    (client.requests, stream.reconnects)
                },
                close: { try? await client.shutdown() })
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
