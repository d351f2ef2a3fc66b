import Foundation
import KestrelCore
import KestrelStorage

/// What journaling costs: an order (its intent written before it is sent, then its fill and the resulting engine
/// and exchange state in one transaction) and an equity snapshot (state and equity in one transaction).
struct JournalBenchmark {
    var operations: Int
    var durability: JournalDurability = .normal

    func run() throws -> [Benchmarks.Measurement] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-bench-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try SQLiteJournal(path: directory.appendingPathComponent("bench.sqlite").path,
                                        durability: durability)
        let instrument = Instrument(symbol: "BTCUSD", base: "BTC", quote: "USD", contractMultiplier: 0.001,
                                    tickSize: 0.1, maxLeverage: 100)
        var exchange = PaperExchange(instruments: [instrument])
        let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!
        _ = exchange.updatePrice("BTCUSD", 10_000, at: t0)
        let engine = TradingEngine(settings: EngineSettings(), instruments: [instrument], startingCash: 10_000,
                                   revalidator: NoRevalidation(), startTime: t0,
                                   runID: RunID(startedAt: t0, entropy: 0)).state
        let clock = ContinuousClock()

        var orderTimes = [Double]()
        for index in 0..<operations {
            let side: OrderSide = index % 2 == 0 ? .buy : .sell
            let order = OrderRequest(id: ClientOrderID("bench-\(index)"), symbol: "BTCUSD", side: side, lots: 10,
                                     kind: .market, reduceOnly: side == .sell, leverage: 10, purpose: .entry)
            let start = clock.now
            try journal.recordIntent(order, at: t0 + Int64(index))
            var entry = JournalEntry(time: t0 + Int64(index))
            entry.outcomes = [.accepted(order.id)]
            if case .success(let events) = exchange.submit(order, at: t0 + Int64(index)) {
                entry.fills = events.compactMap { if case .fill(let fill) = $0 { fill } else { nil } }
            }
            entry.engine = engine
            entry.exchange = exchange
            entry.equity = exchange.equity
            try journal.commit(entry)
            orderTimes.append((clock.now - start).microseconds)
        }
        var snapshotTimes = [Double]()
        for index in 0..<operations {
            var entry = JournalEntry(time: t0 + Int64(operations + index))
            entry.engine = engine
            entry.exchange = exchange
            entry.equity = exchange.equity
            let start = clock.now
            try journal.commit(entry)
            snapshotTimes.append((clock.now - start).microseconds)
        }
        func measurement(_ name: String, _ samples: [Double]) -> Benchmarks.Measurement {
            let sorted = samples.sorted()
            let (best, median) = Benchmarks.bestAndMedian(sorted)
            return Benchmarks.Measurement(name: name, unit: "us", best: best, median: median, target: "-",
                                          note: String(format: "p99 %.1f us over %d, WAL, synchronous=%@",
                                                       sorted.isEmpty ? 0 : sorted[sorted.count * 99 / 100],
                                                       sorted.count, durability.rawValue.uppercased()))
        }
        let suffix = durability == .normal ? "" : " (JOURNAL_SYNC=\(durability.rawValue))"
        return [measurement("journal: one order (intent, then fill + state)\(suffix)", orderTimes),
                measurement("journal: one equity snapshot (state + equity)\(suffix)", snapshotTimes)]
    }
}

private struct NoRevalidation: SignalRevalidator {
    func revalidate(symbol: String, at time: Timestamp) -> SignalResult? { nil }
}
