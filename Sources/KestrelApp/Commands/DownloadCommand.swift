import ArgumentParser
import Foundation
import KestrelCore
import KestrelKuCoin
import Logging
import Synchronization

extension DataCommand {
    /// `kestrel data download`: an exchange's candles as files `kestrel backtest --data DIR` reads.
    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download an exchange's candles into CSV files that backtest --data reads.",
            discussion: """
            Writes DIR/SYMBOL_TIMEFRAME.csv (time,open,high,low,close,volume; time in ISO-8601 UTC), page by page \
            within KuCoin's 200 rows per request and its rate limit. Only closed candles are written. Run again to \
            resume: a file already there is checked and continued from its last candle; a file that is not a valid \
            candle file is left alone and reported.
            """
        )

        @Option(help: "Comma-separated symbols (e.g. XBTUSDTM,ETHUSDTM), or all for every USDT perpetual that passes the volume filter.")
        var symbols: String

        @Option(help: "Candle timeframe: 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 12h or 1d.")
        var timeframe = "1h"

        @Option(help: "Start (ISO-8601, e.g. 2025-01-01T00:00:00Z).")
        var from: String

        @Option(help: "End (ISO-8601); default: now.")
        var to: String?

        @Option(help: "Directory to write the files into (created if missing).")
        var output: String

        @OptionGroup var market: ExchangeOptions

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            logging.bootstrap()
            guard market.exchange == .kucoin else {
                throw ValidationError("--exchange kucoin is the exchange to download from")
            }
            guard let frame = Timeframe(timeframe), KuCoinGranularity.of(frame) != nil, frame.seconds <= 86_400 else {
                throw ValidationError("--timeframe '\(timeframe)' is not one of 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 12h, 1d")
            }
            let start = try OptionTime.parse(from, option: "--from")
            let requested = try symbols.split(separator: ",").map {
                let symbol = $0.trimmingCharacters(in: .whitespaces)
                guard !symbol.isEmpty, symbol.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
                else { throw ValidationError("--symbols: '\(symbol)' is not a symbol") }
                return symbol
            }
            guard !requested.isEmpty else { throw ValidationError("--symbols names no symbol") }
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let failures = try await market.withKuCoin { client in
                let source = KuCoinMarketData(client: client, logger: Logger(label: "kestrel.kucoin"))
                let end: Timestamp
                if let to {
                    end = try OptionTime.parse(to, option: "--to")
                } else {
                    end = try await source.serverTime()
                }
                guard start < end else { throw ValidationError("--from \(start) is not before --to \(end)") }
                let listing = try await source.listing()
                let listed = Set(listing.instruments.map(\.symbol))
                let wanted = requested.map { $0.lowercased() } == ["all"]
                    ? UniverseFilter().select(listing.instruments.filter(\.isActive)).map(\.symbol)
                    : requested.map { $0.uppercased() }
                var failures = 0
                for (index, symbol) in wanted.enumerated() {
                    guard listed.contains(symbol) else {
                        printError("\(symbol): KuCoin lists no USDT perpetual of that name")
                        failures += 1
                        continue
                    }
                    do {
                        let file = CandleFileWriter(path: (output as NSString)
                            .appendingPathComponent("\(symbol)_\(frame).csv"))
                        let written = try await download(symbol, frame, from: start, to: end, into: file,
                                                         source: source,
                                                         label: "[\(index + 1)/\(wanted.count)] \(symbol)")
                        print("\(file.path): \(written.added) candles added, \(written.total) in all")
                    } catch let error as CandleFileWriter.Unusable {
                        printError("\(error)")
                        failures += 1
                    }
                }
                return failures
            }
            if failures > 0 { throw ExitCode(1) }
        }

        /// Downloads one symbol into `file`, from where the file ends (or `from`) to `to`, appending page by page.
        private func download(_ symbol: String, _ frame: Timeframe, from: Timestamp, to: Timestamp,
                              into file: CandleFileWriter, source: KuCoinMarketData, label: String) async throws
            -> (added: Int, total: Int) {
            let existing = try file.existingCandles()
            let resumeAt = existing.last.map { Timestamp(seconds: $0.time.seconds + frame.seconds) } ?? from
            guard resumeAt.seconds + frame.seconds <= to.seconds else { return (0, existing.count) }
            try file.prepare()
            let expected = Double(max(1, (to.seconds - resumeAt.seconds) / frame.seconds))
            let bar = ProgressReporter(title: label, enabled: true)
            let added = Mutex(0)
            _ = try await source.candles(symbol: symbol, timeframe: frame, from: resumeAt, to: to) { page in
                try file.append(page)
                let count = added.withLock {
                    $0 += page.count
                    return $0
                }
                bar.update(Double(count) / expected)
            }
            bar.finish()
            let count = added.withLock { $0 }
            return (count, existing.count + count)
        }
    }
}

/// A candle file being written: read back to resume, appended to a page at a time, so that an interrupted download
/// keeps what it had and continues from there.
struct CandleFileWriter: Sendable {
    let path: String

    struct Unusable: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason); left as it is" }
    }

    /// The candles already in the file, oldest first; none when there is no file.
    func existingCandles() throws -> [Candle] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let bytes = try MarketLoading.read(path)
        let result = CandleFileParser(fileName: path).parse(bytes)
        if let issue = result.issues.first {
            throw Unusable(path: path, reason: "not a valid candle file (\(issue))")
        }
        return result.candles
    }

    /// Creates the file with its header when it is not there.
    func prepare() throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        guard FileManager.default.createFile(atPath: path, contents: Data("time,open,high,low,close,volume\n".utf8))
        else { throw Unusable(path: path, reason: "cannot be created") }
    }

    /// Appends `candles` and flushes them to the disk.
    func append(_ candles: [Candle]) throws {
        guard !candles.isEmpty else { return }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw Unusable(path: path, reason: "cannot be opened for writing")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let lines = candles.map {
            "\($0.time.iso8601),\(text($0.open)),\(text($0.high)),\(text($0.low)),\(text($0.close)),\(text($0.volume))\n"
        }
        try handle.write(contentsOf: Data(lines.joined().utf8))
        try handle.synchronize()
    }

    /// A number as its shortest exact text.
    private func text(_ value: Double) -> String { "\(value)" }
}
