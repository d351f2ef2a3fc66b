import KestrelCore
import KestrelMarketData

/// The seed's two loop designs against Kestrel's, on the same replay with a slow scan: how old the data behind each
/// order is when it goes out, and how many orders go out on a signal that no longer holds by then.
///
/// A discrete-event simulation in market time: scans start every CHECK_INTERVAL and take `scanSeconds`; the
/// strategy's verdict at any moment (the ground truth) is the default strategy on the candles closed by then.
/// - sequential (the seed's "before"): scan, then trade the results one after another (`tradeSeconds` each);
/// - cached (the seed's "after"): a background scan fills a cache; the main loop reads it every CHECK_INTERVAL,
///   half an interval out of phase with the scanner, and trades from it;
/// - Kestrel: the trader acts the moment a scan is published and re-validates each signal on the latest closed
///   candles just before ordering, so a stale signal is dropped, not traded.
struct LoopBenchmark {
    struct Result {
        var design: String
        var orders: Int
        var ageP50: Double
        var ageP99: Double
        var ageMax: Double
        var stale: Int
    }

    var market: HistoricalMarket
    var from: Timestamp
    var days: Int
    var checkInterval: Int64 = 60
    var scanSeconds: Int64 = 30
    var tradeSeconds: Int64 = 2

    func run() -> [Result] {
        let truth = HistoricalSignals(market: market, strategy: DefaultStrategy())
        let end = from + Int64(days) * 86_400
        func scan(at time: Timestamp) -> [String] {
            market.symbols.compactMap { symbol -> (String, Double)? in
                guard let result = truth.revalidate(symbol: symbol, at: time), result.isActionable else { return nil }
                return (symbol, result.score)
            }.sorted { $0.1 > $1.1 }.prefix(5).map(\.0)
        }
        func stillHolds(_ symbol: String, _ signal: Signal?, at time: Timestamp) -> Bool {
            guard let now = truth.revalidate(symbol: symbol, at: time) else { return false }
            return now.isActionable && now.signal == signal
        }
        func signal(_ symbol: String, at time: Timestamp) -> Signal? { truth.revalidate(symbol: symbol, at: time)?.signal }

        var sequential = (ages: [Double](), stale: 0)
        var cached = (ages: [Double](), stale: 0)
        var kestrel = (ages: [Double](), stale: 0)
        var time = from
        var cache: (taken: Timestamp, symbols: [String])?
        while time < end {
            let found = scan(at: time)
            let published = time + scanSeconds
            // Sequential: the results are traded after the scan, one by one.
            for (index, symbol) in found.enumerated() {
                let orderTime = published + Int64(index + 1) * tradeSeconds
                sequential.ages.append(Double(orderTime - time))
                if !stillHolds(symbol, signal(symbol, at: time), at: orderTime) { sequential.stale += 1 }
            }
            // Cached: the main loop wakes half an interval after the scanner started, trades the cache as it is.
            let mainLoop = time + checkInterval / 2
            if let current = cache {
                for (index, symbol) in current.symbols.enumerated() {
                    let orderTime = mainLoop + Int64(index + 1) * tradeSeconds
                    cached.ages.append(Double(orderTime - current.taken))
                    if !stillHolds(symbol, signal(symbol, at: current.taken), at: orderTime) { cached.stale += 1 }
                }
            }
            cache = (time, found)
            // Kestrel: on publish, every opportunity is re-validated on the latest candles and ordered only if it
            // still holds; the data behind the order is as of that moment.
            for symbol in found where stillHolds(symbol, signal(symbol, at: time), at: published) {
                kestrel.ages.append(0)
            }
            time = time + checkInterval
        }
        func result(_ name: String, _ run: (ages: [Double], stale: Int)) -> Result {
            let sorted = run.ages.sorted()
            func pick(_ q: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
            }
            return Result(design: name, orders: sorted.count, ageP50: pick(0.5), ageP99: pick(0.99),
                          ageMax: sorted.last ?? 0, stale: run.stale)
        }
        return [result("seed, sequential (before)", sequential), result("seed, cached (after)", cached),
                result("Kestrel, event-driven + re-validation", kestrel)]
    }
}
