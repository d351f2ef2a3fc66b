import ArgumentParser
import ConsoleKitTerminal
import Foundation
import KestrelCore
import KestrelMarketData

struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Backtest on the engine itself: the default strategy over the market, or the sma-cross reference.",
        discussion: """
        The default strategy runs the live engine (scanner ranking, trader, monitor, risk, paper exchange) over \
        history on a simulated clock at full speed, with every setting of `kestrel run` (--set NAME=VALUE, the \
        environment, .env). sma-cross trades one series with backtesting.py's semantics. See docs/backtesting.md \
        for the order of events inside a bar.
        """
    )

    @Option(help: "default or sma-cross.")
    var strategy = "default"

    @Option(help: "sma-cross: fast SMA period.")
    var fast = 10

    @Option(help: "sma-cross: slow SMA period.")
    var slow = 30

    @Option(help: "A directory of candle files, one candle file, or an embedded symbol; default: the embedded market (BTCUSD for sma-cross).")
    var data: String?

    @Option(help: "Start (ISO-8601); default: the start of the data (plus 30 days of warm-up for the default strategy).")
    var from: String?

    @Option(help: "End (ISO-8601); default: the end of the data.")
    var to: String?

    @Option(help: "Fee rate for every fill (taker and maker), e.g. 0.0006; default: TAKER_FEE and MAKER_FEE.")
    var fee: Double?

    @Option(help: "Slippage in basis points; default: SLIPPAGE_BPS.")
    var slippage: Double?

    @Option(help: "Funding rate per 8 hours; default: FUNDING_RATE.")
    var fundingRate: Double?

    @Option(help: "Starting balance; default: STARTING_BALANCE.")
    var startingBalance: String?

    @Option(name: .customLong("set"), help: "Set any setting of `kestrel run`, e.g. --set MAX_OPEN_POSITIONS=5.")
    var assignments: [String] = []

    @Option(help: "A .env file to read settings from (missing is fine).")
    var envFile: String = ".env"

    @Option(help: "Write the trade list as CSV (entry_time,exit_time,side,entry_price,exit_price,return_pct,...).")
    var tradesCsv: String?

    @Option(help: "Write every figure and the trades as JSON.")
    var json: String?

    @Option(help: "Write a self-contained HTML report (equity, drawdown, trades).")
    var html: String?

    @Option(help: "sma-cross parameter grid, e.g. fast=5:20,slow=20:60 (a:b or a:b:step); ranks every pair.")
    var sweep: String?

    @Option(help: "Parallel jobs for --sweep; default: the number of cores.")
    var jobs: Int?

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() async throws {
        for path in [tradesCsv, json, html] { try OutputFile.check(path) }
        var flags = [String: String]()
        flags["STARTING_BALANCE"] = startingBalance
        let settings = try await BotSettings.resolve(envFile: envFile, assignments: assignments, flags: flags)
        var exchange = settings.exchange
        if let fee {
            guard fee >= 0, fee < 0.1 else { throw ValidationError("--fee must be from 0 to 0.1, not \(fee)") }
            exchange.takerFee = fee
            exchange.makerFee = fee
        }
        if let slippage {
            guard slippage >= 0, slippage <= 500 else { throw ValidationError("--slippage must be 0 to 500 bps") }
            exchange.slippage = slippage / 10_000
        }
        if let fundingRate { exchange.fundingRate = fundingRate }
        var engine = settings.engine
        engine.takerFee = exchange.takerFee

        let result: BacktestResult
        /// Each traded symbol's candles over the backtest, for the report's price charts.
        var prices = [String: [Candle]]()
        switch strategy {
        case "sma-cross":
            guard fast > 0, slow > fast else { throw ValidationError("--fast must be above 0 and below --slow") }
            let (candles, instrument, timeframe) = try singleSeries()
            if let sweep {
                try await runSweep(sweep, candles: candles, instrument: instrument, timeframe: timeframe,
                                   exchange: exchange)
                return
            }
            result = SignalBacktest(instrument: instrument, settings: exchange, timeframe: timeframe)
                .run(SMACrossStrategy(fast: fast, slow: slow), candles: candles)
            if html != nil { prices[instrument.symbol] = candles }
        case "default":
            guard sweep == nil else { throw ValidationError("--sweep applies to --strategy sma-cross") }
            let strategy = DefaultStrategy()
            let market = try marketForDefault(strategy)
            guard let range = market.timeRange else { throw ValidationError("the market holds no candles") }
            let start = try time(from, default: HistoricalMarket.defaultBacktestStart(in: range), range: range,
                                 name: "--from")
            let end = try time(to, default: range.upperBound, range: range, name: "--to")
            guard start < end else { throw ValidationError("--from must be before --to") }
            let progress = ProgressReporter(title: "Backtest", enabled: !quiet)
            result = EngineBacktest(market: market, strategy: strategy, engineSettings: engine,
                                    exchangeSettings: exchange, from: start, to: end)
                .run { progress.update($0) }
            progress.finish()
            if html != nil {
                for (symbol, series) in market.series {
                    prices[symbol] = series.base.filter { $0.time >= start && $0.time < end }
                }
            }
        default:
            throw ValidationError("--strategy must be default or sma-cross, not '\(strategy)'")
        }
        let report = BacktestReport(result)
        print(BacktestText.render(report, strategy: strategy))
        if let tradesCsv { try OutputFile.write(BacktestFiles.tradesCSV(result), to: tradesCsv) }
        if let json { try OutputFile.write(try BacktestFiles.json(result, report: report, strategy: strategy), to: json) }
        if let html {
            try OutputFile.write(try BacktestFiles.html(result, report: report, strategy: strategy, prices: prices),
                                 to: html)
        }
        print(String(format: "Peak memory (resident): %.1f MB", ProcessMemory.peakMegabytes ?? 0))
    }

    private func singleSeries() throws -> ([Candle], Instrument, Timeframe) {
        let source = data ?? "BTCUSD"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("sma-cross trades one series: give --data a file or an embedded symbol")
        }
        let loaded = try MarketLoading.series(source: source)
        let (all, timeframe, instrument) = (loaded.candles, loaded.timeframe, loaded.instrument)
        guard let first = all.first?.time, let last = all.last?.time else { throw ValidationError("no candles") }
        let start = try time(from, default: first, range: first...last, name: "--from")
        let end = try time(to, default: last + timeframe.seconds, range: first...(last + timeframe.seconds), name: "--to")
        return (all.filter { $0.time >= start && $0.time < end }, instrument, timeframe)
    }

    private func marketForDefault(_ strategy: DefaultStrategy) throws -> HistoricalMarket {
        let timeframes = strategy.requirements.map(\.timeframe)
        guard let data else { return try EmbeddedMarket.load(timeframes: timeframes) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue {
            return try MarketLoading.market(directory: data, timeframes: timeframes)
        }
        return HistoricalMarket(series: [try MarketLoading.series(source: data).market(timeframes: timeframes)])
    }

    private func time(_ text: String?, default fallback: Timestamp, range: ClosedRange<Timestamp>, name: String) throws
        -> Timestamp
    {
        guard let text else { return min(max(fallback, range.lowerBound), range.upperBound) }
        return try OptionTime.parse(text, option: name, within: range)
    }

    private func runSweep(_ specification: String, candles: [Candle], instrument: Instrument, timeframe: Timeframe,
                          exchange: PaperExchangeSettings) async throws {
        let grid = try ParameterGrid(specification)
        let pairs = grid.pairs.filter { $0.fast < $0.slow }
        guard !pairs.isEmpty else { throw ValidationError("--sweep gives no pair with fast below slow") }
        let workers = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        let clock = ContinuousClock()
        let started = clock.now
        let backtest = SignalBacktest(instrument: instrument, settings: exchange, timeframe: timeframe)
        var results = [SweepRow]()
        try await pairs.forEachConcurrently(width: workers, { pair in
            let result = backtest.run(SMACrossStrategy(fast: pair.fast, slow: pair.slow), candles: candles)
            let report = BacktestReport(result)
            return SweepRow(fast: pair.fast, slow: pair.slow, trades: result.trades.count,
                            profitPercent: report.summary.profitPercent, maxDrawdown: report.summary.maxDrawdown,
                            sharpe: report.summary.sharpe)
        }) { _, row in results.append(row) }
        let elapsed = clock.now - started
        let seconds = elapsed.totalSeconds
        let ranked = results.sorted { ($0.profitPercent, $1.fast) > ($1.profitPercent, $0.fast) }
        print(SweepRow.table(Array(ranked.prefix(15))))
        print(String(format: "%d parameter sets x %d bars on %d jobs in %.2f s: %.1f million bars per second",
                     results.count, candles.count, workers, seconds,
                     Double(results.count * candles.count) / seconds / 1e6))
        if let json { try OutputFile.write(try JSONText.pretty(ranked), to: json) }
    }
}

/// A progress bar on a terminal; nothing when standard error is not one.
final class ProgressReporter: @unchecked Sendable {
    private let indicator: ActivityIndicator<ProgressBar>?

    init(title: String, enabled: Bool) {
        if enabled, isatty(STDERR_FILENO) == 1 {
            let bar = Terminal().progressBar(title: title)
            bar.start()
            indicator = bar
        } else {
            indicator = nil
        }
    }

    func update(_ fraction: Double) { indicator?.activity.currentProgress = min(max(fraction, 0), 1) }

    func finish() { indicator?.succeed() }
}

/// `fast=5:20,slow=20:60` (or `a:b:step`) as every (fast, slow) pair.
struct ParameterGrid {
    var fast: [Int]
    var slow: [Int]

    init(_ text: String) throws {
        var ranges = [String: [Int]]()
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            let bounds = pieces.count == 2 ? pieces[1].split(separator: ":").compactMap { Int($0) } : []
            guard pieces.count == 2, bounds.count == 2 || bounds.count == 3, bounds[0] > 0, bounds[0] <= bounds[1],
                  bounds.count == 2 || bounds[2] > 0 else {
                throw ValidationError("--sweep part '\(part)' is not NAME=FROM:TO or NAME=FROM:TO:STEP")
            }
            ranges[String(pieces[0])] = Array(stride(from: bounds[0], through: bounds[1], by: bounds.count == 3 ? bounds[2] : 1))
        }
        guard let fast = ranges["fast"], let slow = ranges["slow"], ranges.count == 2 else {
            throw ValidationError("--sweep needs exactly fast=... and slow=...")
        }
        self.fast = fast
        self.slow = slow
    }

    var pairs: [(fast: Int, slow: Int)] { fast.flatMap { f in slow.map { (f, $0) } } }
}

struct SweepRow: Encodable, Sendable {
    var fast: Int
    var slow: Int
    var trades: Int
    var profitPercent: Double
    var maxDrawdown: Double
    var sharpe: Double

    static func table(_ rows: [SweepRow]) -> String {
        var text = "fast slow trades   profit %  max DD %  Sharpe\n"
        for row in rows {
            text += String(format: "%4d %4d %6d %10.2f %9.2f %7.2f\n", row.fast, row.slow, row.trades, row.profitPercent,
                           row.maxDrawdown * 100, row.sharpe)
        }
        return text
    }
}
