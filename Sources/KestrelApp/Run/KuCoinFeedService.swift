import KestrelCore
import KestrelKuCoin
import KestrelRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// Streams KuCoin's market into a run: candles into the live market (closed on time, gaps filled after a
/// reconnect; the scanner woken when any closes), prices to the paper venue (a paper run), then the desk, and every
/// `universeRefresh` the listing looked at again (new contracts streamed and tradable, delisted ones dropped).
///
/// Prices are passed on at most every `priceInterval`, the newest of each symbol that changed: a busy book pushes
/// its best bid and ask ten times a second for each of hundreds of symbols, and the venue and the desk need the price,
/// not every tick of it.
struct KuCoinFeedService<C: Clock>: Service where C.Duration == Duration {
    let live: KuCoinLiveMarket
    let stream: KuCoinPublicStream
    let desk: TradingDesk
    /// The paper venue that fills a paper run's orders at these prices; nil for a live run.
    let paper: PaperVenue?
    /// The account a live run trades: told of new listings.
    let account: KuCoinVenue?
    let clock: EngineClock<C>
    let trigger: ScanTrigger
    let serverClock: KuCoinServerClock
    var universeRefresh: Duration = .seconds(3_600)
    var priceInterval: Duration = .milliseconds(200)
    let logger: Logger

    func run() async throws {
        let latest = PriceBuffer()
        // Rung when a connection has its topics (the first time too: an hour that ended during the warm-up is not
        // pushed again), and after each look at the listing; the gap filler then fetches what any symbol missed.
        // Apart from the stream's reading, so that a slow fetch never holds up its frames.
        let gapsToFill = ScanTrigger()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await stream.run { event in
                        switch event {
                        case .candle:
                            if !live.apply(event, now: clock.now).isEmpty { trigger.ring() }
                        case .price(let symbol, let price, _):
                            live.apply(event)
                            latest.set(symbol, price)
                        case .connected(let connection, let topics, let reconnected):
                            logger.info("📡 KuCoin stream \(connection) \(reconnected ? "back" : "up"): \(topics) topics")
                            gapsToFill.ring()
                        case .disconnected(let connection, let reason):
                            logger.warning("📡 KuCoin stream \(connection) lost: \(reason); connecting again")
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        await gapsToFill.wait()
                        guard !Task.isCancelled else { return }
                        await live.fillGaps(closedBy: clock.now)
                        trigger.ring()
                    }
                }
                group.addTask {
                    await every(universeRefresh) {
                        await refreshListing()
                        gapsToFill.ring()
                    }
                }
                group.addTask {
                    await every(priceInterval) {
                        let now = clock.now
                        if !live.closeDue(by: now).isEmpty { trigger.ring() }
                        for (symbol, price) in latest.take() {
                            await paper?.price(symbol, price, at: now, continuous: true)
                            await desk.price(symbol, price, at: now)
                        }
                    }
                }
            }
        }
        logger.info("✅ KuCoin stream stopped")
    }

    /// Runs `body` every `interval` until the task is cancelled (a sleep cancelled ends it at once).
    private func every(_ interval: Duration, _ body: () async -> Void) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await body()
        }
    }

    /// Measures KuCoin's clock again, and says so when the run's clock has drifted from it: candles are closed, and
    /// symbols judged stale, by the run's clock.
    private func checkClock() async {
        do {
            try await serverClock.synchronise(priority: .marketData)
        } catch {
            if !Task.isCancelled { logger.warning("🕐 KuCoin's time not read: \(error)") }
            return
        }
        let drift = clock.now.seconds - serverClock.nowMilliseconds / 1_000
        if abs(drift) >= 2 {
            logger.warning("🕐 The run's clock is \(drift) s off KuCoin's (this machine's clock moved)")
        }
    }

    /// Looks at the listing again; what changed is streamed (or no longer) and made tradable (or not).
    private func refreshListing() async {
        await checkClock()
        let change: KuCoinLiveMarket.ListingChange
        do {
            change = try await live.refresh(at: clock.now)
        } catch {
            if !Task.isCancelled { logger.warning("📡 KuCoin listing not refreshed: \(error)") }
            return
        }
        guard !change.isEmpty else { return }
        stream.setTopics(KuCoinPublicStream.topics(candlesOf: live.symbols, timeframe: live.base, tickers: true))
        let instruments = live.heldInstruments
        await paper?.list(instruments)
        await account?.list(instruments, fees: live.fees)
        await desk.updateListing(instruments)
        logger.notice("📡 KuCoin listing changed: \(change.added.count) symbol(s) added, \(change.delisted.count) dropped",
                      metadata: ["added": "\(change.added.joined(separator: ","))",
                                 "dropped": "\(change.delisted.joined(separator: ","))"])
        trigger.ring()
    }
}

/// The newest price of each symbol since the last `take`.
final class PriceBuffer: Sendable {
    private let prices = Mutex<[String: Double]>([:])

    func set(_ symbol: String, _ price: Double) { prices.withLock { $0[symbol] = price } }

    func take() -> [(String, Double)] {
        prices.withLock { prices in
            defer { prices.removeAll(keepingCapacity: true) }
            return prices.sorted { $0.key < $1.key }
        }
    }
}
