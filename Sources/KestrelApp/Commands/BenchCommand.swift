import ArgumentParser
import Foundation
import KestrelCore
import KestrelMarketData
import TextTable

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure KuCoin streaming, indicator, scan, rescan, journal and backtest speed and memory; prints the numbers.",
        discussion: "Build with -c release for meaningful numbers: swift run -c release kestrel bench"
    )

    @Option(help: "Runs per measurement (the best and the median are reported).")
    var repetitions = 20

    @Option(help: "Symbols in the synthetic universe for the scan benchmarks.")
    var symbols = 500

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Run only the benchmarks whose name contains this text (e.g. kucoin, batch, streaming, scan, rescan, journal, backtest, loops).")
    var only: String?

    @Option(help: "Market days the loop comparison replays (scan every 60 s taking 30 s).")
    var loopDays = 30

    @Option(help: "Market days the default-strategy backtest covers (default: all of the embedded market).")
    var backtestDays: Int?

    @Option(help: "Symbols the KuCoin benchmark streams from its fake of the venue (latency, requests, reconnects).")
    var kucoinSymbols = 300

    @Option(help: "Symbols of the KuCoin memory measurement.")
    var kucoinMemorySymbols = 500

    @Option(help: "Minutes of market time the KuCoin memory measurement pushes (a candle and a price per symbol per second).")
    var kucoinPushMinutes = 60

    func run() async throws {
        guard repetitions > 0, symbols > 0 else { throw ValidationError("--repetitions and --symbols must be positive") }
        if let backtestDays, backtestDays <= 0 { throw ValidationError("--backtest-days must be positive") }
        guard kucoinSymbols > 0, kucoinMemorySymbols > 0, kucoinPushMinutes > 0 else {
            throw ValidationError("--kucoin-symbols, --kucoin-memory-symbols and --kucoin-push-minutes must be positive")
        }
        let selected: (String) -> Bool = { name in only.map { name.contains($0) } ?? true }
        var results = [Benchmarks.Measurement]()
        // First, so that its memory figure is not the other benchmarks' pages.
        if selected("kucoin") {
            results += try await KuCoinBenchmark(symbols: kucoinSymbols, memorySymbols: kucoinMemorySymbols,
                                                 pushMinutes: kucoinPushMinutes).run()
        }
        if selected("kucoin") || selected("order path") {
            results += try await KuCoinTradingBenchmark().run()
        }
        let bench = Benchmarks(repetitions: repetitions, symbols: symbols)
        let candles = try EmbeddedMarket.candles(for: "BTCUSD")
        let strategy = DefaultStrategy()
        let market = try EmbeddedMarket.load(timeframes: strategy.requirements.map(\.timeframe))
        let universe = Benchmarks.Universe(market: market, strategy: strategy, size: symbols)
        if selected("batch") { results.append(bench.indicatorBatch(candles)) }
        if selected("streaming") { results.append(bench.streamingUpdate(candles)) }
        if selected("volume profile") { results.append(bench.volumeProfile(candles)) }
        if selected("full scan") { results.append(bench.fullScan(universe, strategy: strategy)) }
        if selected("rescan") { results.append(bench.rescan(universe, strategy: strategy)) }
        if selected("MarketScanner") { results.append(try await bench.asyncScan(market, strategy: strategy)) }
        if selected("journal") {
            results += try JournalBenchmark(operations: max(100, repetitions * 50)).run()
            // Every full-durability step waits for the disk: fewer of them.
            results += try JournalBenchmark(operations: max(20, repetitions * 5), durability: .full).run()
        }
        // Peak memory of the indicator and scan benchmarks, before the loop comparison adds its own.
        let peak = ProcessMemory.peakMegabytes
        if selected("backtest") {
            // The settings `kestrel backtest` would use, from the environment and .env as it reads them.
            let settings = try await BotSettings.resolve(envFile: ".env", assignments: [], flags: [:])
            if let btc = EmbeddedMarket.instruments.first(where: { $0.symbol == "BTCUSD" }) {
                results.append(bench.smaCrossBacktest(candles, instrument: btc, exchange: settings.exchange))
            }
            if let measurement = bench.engineBacktest(market, strategy: strategy, engine: settings.engine,
                                                      exchange: settings.exchange, days: backtestDays) {
                results.append(measurement)
            }
        }
        var loops = [LoopBenchmark.Result]()
        if selected("loops") {
            for scanSeconds in [30, 68] as [Int64] {
                loops += LoopBenchmark(market: market, from: Timestamp(parsing: "2019-07-01T00:00:00Z")!,
                                       days: loopDays, scanSeconds: scanSeconds).run().map {
                    var result = $0
                    result.design += ", \(scanSeconds) s scans"
                    return result
                }
            }
        }
        if json {
            struct Loop: Encodable {
                var design: String
                var orders: Int
                var age_p50_s: Double
                var age_p99_s: Double
                var age_max_s: Double
                var stale_orders: Int
                var missed: Int
                var opportunities: Int
            }
            struct Report: Encodable {
                var measurements: [Benchmarks.Measurement]
                var loops: [Loop]
                var peak_memory_mb: Double?
            }
            print(try JSONText.pretty(Report(
                measurements: results,
                loops: loops.map { Loop(design: $0.design, orders: $0.orders, age_p50_s: $0.ageP50, age_p99_s: $0.ageP99,
                                        age_max_s: $0.ageMax, stale_orders: $0.stale, missed: $0.missed,
                                        opportunities: $0.opportunities) },
                peak_memory_mb: peak)))
            return
        }
        let table = TextTable<Benchmarks.Measurement> {
            [Column(title: "Benchmark", value: $0.name),
             Column(title: "Best", value: String(format: "%.3f %@", $0.best, $0.unit), align: .right),
             Column(title: "Median", value: String(format: "%.3f %@", $0.median, $0.unit), align: .right),
             Column(title: "Target", value: $0.target), Column(title: "Note", value: $0.note)]
        }
        if !results.isEmpty { print(table.string(for: results) ?? "") }
        if !loops.isEmpty {
            print("\nLoop designs on \(loopDays) days of the embedded replay, CHECK_INTERVAL 60 s, 2 s per seed trade:")
            let loopTable = TextTable<LoopBenchmark.Result> {
                [Column(title: "Design", value: $0.design), Column(title: "Orders (modelled)", value: $0.orders, align: .right),
                 Column(title: "Data age p50", value: "\(Int($0.ageP50)) s", align: .right),
                 Column(title: "p99", value: "\(Int($0.ageP99)) s", align: .right),
                 Column(title: "max", value: "\(Int($0.ageMax)) s", align: .right),
                 Column(title: "Stale orders", value: $0.stale, align: .right),
                 Column(title: "Missed", value: "\($0.missed) of \($0.opportunities)", align: .right)]
            }
            print(loopTable.string(for: loops) ?? "")
        }
        if let peak { print(String(format: "Peak memory (resident) of the indicator and scan benchmarks: %.1f MB", peak)) }
        #if DEBUG
        print("Note: this is a debug build; use `swift run -c release kestrel bench` for real numbers.")
        #endif
    }
}
