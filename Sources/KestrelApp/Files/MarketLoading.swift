import Foundation
import KestrelCore
import KestrelMarketData

/// Loads market data for the commands: the embedded market, one user file, or a directory of user files.
enum MarketLoading {
    static let supportedExtensions: Set<String> = ["csv", "json"]

    /// The bytes of a user's file, or an error that says why it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataFileUnreadable(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw DataFileUnreadable(file: path, reason: "is a directory") }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path)
        else { throw DataFileUnreadable(file: path, reason: "permission denied") }
        return [UInt8](data)
    }

    /// Candles of one file, validated; throws `DataFileError` listing every bad line.
    static func candles(file path: String) throws -> [Candle] {
        try CandleFileParser(fileName: path).load(read(path))
    }

    /// Candles of a user file, or of an embedded symbol when `source` names one (e.g. `BTCUSD`).
    static func candles(source: String) throws -> (candles: [Candle], name: String) {
        if EmbeddedMarket.symbols.contains(source.uppercased()), !FileManager.default.fileExists(atPath: source) {
            return (try EmbeddedMarket.candles(for: source.uppercased()), source.uppercased())
        }
        return (try candles(file: source), source)
    }

    /// The embedded market, or every CSV / JSON file of `directory` as one market (the symbol is the file name up
    /// to the first `_` or `.`, e.g. `BTCUSD_30m.csv` is BTCUSD).
    static func market(directory: String?, timeframes: [Timeframe]) throws -> HistoricalMarket {
        guard let directory else { return try EmbeddedMarket.load(timeframes: timeframes) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataFileUnreadable(file: directory, reason: "not a directory")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { supportedExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
        guard !names.isEmpty else {
            throw DataFileUnreadable(file: directory, reason: "holds no .csv or .json candle files")
        }
        var series = [HistoricalMarket.Series]()
        var seen = Set<String>()
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            let loaded = try self.series(source: path)
            guard seen.insert(loaded.instrument.symbol).inserted else {
                throw DataFileUnreadable(file: path, reason: "a second file for symbol \(loaded.instrument.symbol)")
            }
            series.append(loaded.market(timeframes: timeframes))
        }
        return HistoricalMarket(series: series)
    }

    /// One series with what Kestrel needs to trade it: its candles, timeframe and contract metadata.
    struct LoadedSeries {
        var candles: [Candle]
        var timeframe: Timeframe
        var instrument: Instrument

        func market(timeframes: [Timeframe]) -> HistoricalMarket.Series {
            HistoricalMarket.Series(instrument: instrument, baseTimeframe: timeframe, candles: candles,
                                    timeframes: timeframes)
        }
    }

    /// A user's file or an embedded symbol as a series; the symbol is the file name up to the first `_`, `.` or `-`.
    static func series(source: String) throws -> LoadedSeries {
        let (candles, name) = try candles(source: source)
        guard let timeframe = SeriesSummary.detectTimeframe(candles) else {
            throw DataFileUnreadable(file: name, reason: "needs at least two candles to tell its timeframe")
        }
        let symbol = symbolName(fromFile: (name as NSString).lastPathComponent)
        return LoadedSeries(candles: candles, timeframe: timeframe,
                            instrument: instrument(symbol: symbol, candles: candles))
    }

    static func symbolName(fromFile name: String) -> String {
        let stem = (name as NSString).deletingPathExtension
        return String(stem.prefix { $0 != "_" && $0 != "." && $0 != "-" }).uppercased()
    }

    /// Contract metadata for a user's series: the embedded market's when the symbol is one of its five, otherwise
    /// one lot of one coin and a tick of a ten-thousandth of the typical price's order of magnitude.
    static func instrument(symbol: String, candles: [Candle]) -> Instrument {
        if let known = EmbeddedMarket.instruments.first(where: { $0.symbol == symbol }) { return known }
        let quotes = ["USDT", "USDC", "USD", "BUSD", "EUR", "BTC"]
        let quote = quotes.first { symbol.hasSuffix($0) && symbol.count > $0.count } ?? "USD"
        let base = symbol.hasSuffix(quote) ? String(symbol.dropLast(quote.count)) : symbol
        let typical = candles[candles.count / 2].close
        let tick = pow(10, (log10(typical)).rounded(.down) - 4)
        return Instrument(symbol: symbol, base: base, quote: quote, contractMultiplier: 1, tickSize: tick,
                          maxLeverage: 20)
    }
}
