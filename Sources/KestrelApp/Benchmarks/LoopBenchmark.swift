import KestrelCore
import KestrelMarketData
import KestrelRuntime

/// The seed's two loop designs against Kestrel's, on the same replay with slow scans: how old the data behind each
/// order is when it goes out, how many orders go out on a signal that no longer holds by then, and how many
/// opportunities are never traded at all.
///
/// A discrete-event simulation in market time. The strategy's verdict at any moment (the ground truth) is the
/// default strategy on the candles closed by then; an opportunity is a run of minutes in which a symbol is among the
/// top five BUY / SELL verdicts. Every design trades every opportunity it sees (positions are not modelled).
/// - sequential (the seed's "before"): scan, trade the results one by one (`tradeSeconds` each), start the next
///   scan a CHECK_INTERVAL after the last one started, or when trading is done if that is later;
/// - cached (the seed's "after"): a background thread scans, fills the cache and sleeps CHECK_INTERVAL; the main
///   loop reads the cache every CHECK_INTERVAL and trades what it has not traded yet;
/// - Kestrel: scans start every CHECK_INTERVAL (or right after a longer scan); the trader acts the moment a scan is
///   published and re-validates each signal on the latest closed candles just before ordering, so a signal that
///   no longer holds is dropped, not traded.
struct LoopBenchmark {
    struct Result {
        var design: String
        var orders: Int
        var ageP50: Double
        var ageP99: Double
        var ageMax: Double
        var stale: Int
        var missed: Int
        var opportunities: Int
    }

    var market: HistoricalMarket
    var from: Timestamp
    var days: Int
    var scanSeconds: Int64
    var checkInterval: Int64 = 60
    var tradeSeconds: Int64 = 2

    private struct Order {
        var symbol: String
        var signal: Signal
        var dataTime: Timestamp
        var orderTime: Timestamp
    }

    func run() -> [Result] {
        let truth = HistoricalSignals(market: market, strategy: DefaultStrategy())
        let end = from + Int64(days) * 86_400
        func scan(at time: Timestamp) -> [(String, Signal)] {
            market.symbols.compactMap { symbol -> (String, Signal, Double)? in
                guard let result = truth.revalidate(symbol: symbol, at: time), result.isActionable else { return nil }
                return (symbol, result.signal, result.score)
            }.sorted { $0.2 > $1.2 }.prefix(5).map { ($0.0, $0.1) }
        }
        func holds(_ symbol: String, _ signal: Signal, at time: Timestamp) -> Bool {
            guard let now = truth.revalidate(symbol: symbol, at: time) else { return false }
            return now.isActionable && now.signal == signal
        }

        // Ground truth: every minute, which (symbol, signal) pairs are opportunities; runs of minutes are episodes.
        var episodes = [(symbol: String, signal: Signal, start: Timestamp, end: Timestamp)]()
        var open = [String: (Signal, Timestamp)]()
        var minute = from
        while minute < end {
            let now = Dictionary(uniqueKeysWithValues: scan(at: minute).map { ($0.0, $0.1) })
            for (symbol, (signal, start)) in open where now[symbol] != signal {
                episodes.append((symbol, signal, start, minute))
                open[symbol] = nil
            }
            for (symbol, signal) in now where open[symbol] == nil { open[symbol] = (signal, minute) }
            minute = minute + 60
        }
        for (symbol, (signal, start)) in open { episodes.append((symbol, signal, start, end)) }

        var sequential = [Order]()
        var time = from
        while time < end {
            let found = scan(at: time)
            let published = time + scanSeconds
            for (index, (symbol, signal)) in found.enumerated() {
                sequential.append(Order(symbol: symbol, signal: signal, dataTime: time,
                                        orderTime: published + Int64(index + 1) * tradeSeconds))
            }
            time = max(time + checkInterval, published + Int64(found.count) * tradeSeconds)
        }

        var cached = [Order]()
        var caches = [(ready: Timestamp, taken: Timestamp, found: [(String, Signal)])]()
        time = from
        while time < end {
            caches.append((time + scanSeconds, time, scan(at: time)))
            time = time + scanSeconds + checkInterval
        }
        var traded = Set<Int>()
        var loop = from + checkInterval / 2
        while loop < end {
            if let index = caches.lastIndex(where: { $0.ready <= loop }), !traded.contains(index) {
                traded.insert(index)
                for (k, (symbol, signal)) in caches[index].found.enumerated() {
                    cached.append(Order(symbol: symbol, signal: signal, dataTime: caches[index].taken,
                                        orderTime: loop + Int64(k + 1) * tradeSeconds))
                }
            }
            loop = loop + checkInterval
        }

        var kestrel = [Order]()
        time = from
        while time < end {
            let published = time + scanSeconds
            for (symbol, signal) in scan(at: time) where holds(symbol, signal, at: published) {
                kestrel.append(Order(symbol: symbol, signal: signal, dataTime: published, orderTime: published))
            }
            time = time + max(checkInterval, scanSeconds)
        }

        func result(_ name: String, _ orders: [Order]) -> Result {
            let ages = orders.map { Double($0.orderTime - $0.dataTime) }
            let stale = orders.filter { !holds($0.symbol, $0.signal, at: $0.orderTime) }.count
            var bySymbol = [String: [Order]]()
            for order in orders { bySymbol[order.symbol, default: []].append(order) }
            let missed = episodes.filter { episode in
                !(bySymbol[episode.symbol] ?? []).contains {
                    $0.signal == episode.signal && $0.dataTime >= episode.start && $0.dataTime < episode.end
                }
            }.count
            return Result(design: name, orders: orders.count, ageP50: percentile(ages, 0.5),
                          ageP99: percentile(ages, 0.99), ageMax: ages.max() ?? 0, stale: stale, missed: missed, opportunities: episodes.count)
        }
        return [result("seed, sequential (before)", sequential), result("seed, cached (after)", cached),
                result("Kestrel", kestrel)]
    }
}
