import Synchronization
import ArgumentParser
import Foundation
import KestrelCore
import KestrelKuCoin
import Logging
import Rainbow
import TextTable

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan the market as of a point in time and rank the best opportunities.",
        discussion: """
        Scans the embedded market (or every candle file in --data DIR): volume filter, the default strategy on 1h \
        confirmed by 4h and 1d, BUY / SELL with a positive score, best score first. Only candles closed by --at are \
        seen. With --exchange kucoin, scans KuCoin Futures' USDT perpetuals as of now, from its public REST API (no \
        key needed): three candle requests per symbol, paced within KuCoin's rate limit.
        """
    )

    @Option(help: "How many opportunities to keep.")
    var top = 5

    @Option(help: "Scan as of this time (ISO-8601, e.g. 2019-06-01T12:00:00Z); default: the end of the data.")
    var at: String?

    @Option(help: "A directory of candle files to scan instead of the embedded market.")
    var data: String?

    @Option(help: "Confidence thresholds: original (0.52/0.58/0.6) or conservative (0.70/0.76/0.72).")
    var thresholds = "original"

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @Flag(help: "Also list symbols that gave no opportunity, with their verdict.")
    var all = false

    @OptionGroup var market: ExchangeOptions

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        guard top > 0 else { throw ValidationError("--top must be at least 1, not \(top)") }
        let parameters: DefaultStrategy.Parameters
        switch thresholds {
        case "original": parameters = .original
        case "conservative": parameters = .conservative
        default: throw ValidationError("--thresholds must be original or conservative, not '\(thresholds)'")
        }
        let strategy = DefaultStrategy(parameters: parameters)
        if self.market.exchange == .kucoin {
            guard at == nil, data == nil else {
                throw ValidationError("--at and --data scan history; --exchange kucoin scans the market as it is now")
            }
            try await scanKuCoin(strategy)
            return
        }
        let market = try MarketLoading.market(directory: data, timeframes: strategy.requirements.map(\.timeframe))
        guard let range = market.timeRange else { throw ValidationError("the market holds no candles") }
        let asOf = try at.map { try OptionTime.parse($0, option: "--at", within: range) } ?? range.upperBound
        let scanner = MarketScanner(source: market, strategy: strategy, top: top,
                                    logger: Logger(label: "kestrel.scanner"))
        let result = try await scanner.scan(at: asOf)
        try show(result)
    }

    /// Scans KuCoin's market as of the server's clock, the last candle of each timeframe closed by then.
    private func scanKuCoin(_ strategy: DefaultStrategy) async throws {
        let result = try await self.market.withKuCoin { client in
            let source = KuCoinMarketData(client: client, logger: Logger(label: "kestrel.kucoin"))
            let now = try await source.serverTime()
            let progress = ScanProgress(source: source, showing: !json && isatty(STDERR_FILENO) != 0,
                                        candlesPerSymbol: strategy.requirements.count)
            let scanner = MarketScanner(source: progress, strategy: strategy, top: top,
                                        logger: Logger(label: "kestrel.scanner"))
            defer { progress.finish() }
            return try await scanner.scan(at: now)
        }
        try show(result)
    }

    private func show(_ result: ScanResult) throws {
        if json {
            print(try ScanOutput.json(result.opportunities))
        } else {
            print(ScanOutput.table(result, showAll: all))
        }
    }
}

/// A market source that counts the symbols whose candles have arrived and shows it on standard error: a live scan
/// of hundreds of symbols takes as long as the exchange's rate limit allows.
final class ScanProgress: MarketDataSource {
    let source: any MarketDataSource
    let showing: Bool
    let candlesPerSymbol: Int
    private let counts = Mutex((symbols: 0, requests: 0))

    init(source: any MarketDataSource, showing: Bool, candlesPerSymbol: Int) {
        self.source = source
        self.showing = showing
        self.candlesPerSymbol = max(1, candlesPerSymbol)
    }

    func instruments(at time: Timestamp) async throws -> [Instrument] {
        let instruments = try await source.instruments(at: time)
        let universe = UniverseFilter().select(instruments).count
        counts.withLock { $0.symbols = universe }
        return instruments
    }

    func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws -> [Candle] {
        let candles = try await source.candles(symbol: symbol, timeframe: timeframe, limit: limit, closedBy: time)
        let (symbols, requests) = counts.withLock {
            $0.requests += 1
            return ($0.symbols, $0.requests)
        }
        if showing { FileHandle.standardError.write(Data("\rcandles: \(requests / candlesPerSymbol) of \(symbols) symbols".utf8)) }
        return candles
    }

    func finish() {
        if showing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Command-line logging options shared by the commands that log.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func bootstrap(default fallback: Logger.Level = .warning) {
        let level = logLevel.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? fallback
        LoggingBootstrap.once(level: level)
    }
}

enum LoggingBootstrap {
    private static let level = Mutex<Logger.Level?>(nil)

    /// Logging goes to standard error so that standard output stays clean for CSV and JSON. The logging system can
    /// be set up once per process; later calls keep the first level.
    static func once(level wanted: Logger.Level) {
        let first = level.withLock { current -> Bool in
            guard current == nil else { return false }
            current = wanted
            return true
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, level: wanted) }
    }
}

enum ScanOutput {
    struct Row: Encodable {
        var symbol: String
        var signal: String
        var confidence: Double
        var score: Double
        var price: Double
        var regime: String
        var bb_width: Double?
        var atr: Double?
        var momentum: Double?
        var data_time: String
        var reasons: [String]
    }

    static func rows(_ opportunities: [Opportunity]) -> [Row] {
        opportunities.map {
            Row(symbol: $0.symbol, signal: $0.signal.rawValue, confidence: $0.confidence, score: $0.score,
                price: $0.price, regime: $0.regime.rawValue, bb_width: finite($0.bbWidth), atr: finite($0.atr),
                momentum: finite($0.momentum), data_time: $0.dataTime.iso8601, reasons: $0.reasons.map(\.description))
        }
    }

    static func json(_ opportunities: [Opportunity]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(rows(opportunities)), as: UTF8.self)
    }

    struct TableRow {
        var rank: Int
        var symbol: String
        var signal: String
        var confidence: String
        var score: String
        var price: String
        var regime: String
        var width: String
        var reasons: String
    }

    static func table(_ result: ScanResult, showAll: Bool) -> String {
        let millis = result.duration.milliseconds
        var text = "Scanned \(result.universe.count) of \(result.listed) symbols as of \(result.asOf) "
            + "in \(String(format: "%.1f", millis)) ms: \(result.opportunities.count) opportunit"
            + "\(result.opportunities.count == 1 ? "y" : "ies")\n"
        if result.opportunities.isEmpty {
            text += "No BUY or SELL signal with a positive score at this time.\n"
        } else {
            let rows = result.opportunities.enumerated().map { index, o in
                TableRow(rank: index + 1, symbol: o.symbol, signal: o.signal.rawValue,
                         confidence: String(format: "%.2f", o.confidence), score: String(format: "%.1f", o.score),
                         price: "\(o.instrument.roundToTick(o.price))", regime: o.regime.rawValue,
                         width: String(format: "%.4f", o.bbWidth), reasons: o.reasons.prefix(3).map(\.description).joined(separator: "; "))
            }
            let table = TextTable<TableRow> {
                [Column(title: "#", value: $0.rank), Column(title: "Symbol", value: $0.symbol),
                 Column(title: "Signal", value: $0.signal), Column(title: "Conf", value: $0.confidence),
                 Column(title: "Score", value: $0.score), Column(title: "Price", value: $0.price),
                 Column(title: "Regime", value: $0.regime), Column(title: "BB width", value: $0.width),
                 Column(title: "Why (first reasons)", value: $0.reasons)]
            }
            text += (table.string(for: rows) ?? "") + "\n"
            for (index, o) in result.opportunities.enumerated() {
                let side = o.signal == .buy ? o.signal.rawValue.green : o.signal.rawValue.red
                text += "\(index + 1). \(o.symbol) \(side): " + o.reasons.map(\.description).joined(separator: "; ") + "\n"
            }
        }
        if showAll {
            text += "\nEvery symbol:\n"
            for r in result.results {
                text += "  \(r.symbol): \(r.signal.rawValue) confidence \(String(format: "%.2f", r.confidence)) "
                    + "score \(String(format: "%.1f", r.score)) (\(r.regime.rawValue)): \(r.reasons.map(\.description).joined(separator: "; "))\n"
            }
        }
        for skip in result.skipped {
            switch skip.reason {
            case .insufficientHistory(let bars, let needed):
                text += "  skipped \(skip.symbol): \(bars) candles, \(needed) needed\n"
            case .stale(let closedUntil, let due):
                text += "  skipped \(skip.symbol): candles until \(closedUntil.map { "\($0)" } ?? "none"), \(due) due\n"
            case .failed(let message):
                text += "  failed \(skip.symbol): \(message)\n"
            }
        }
        return text
    }

    static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
}
