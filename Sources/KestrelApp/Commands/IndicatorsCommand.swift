import ArgumentParser
import Foundation
import KestrelCore

struct IndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "Print every indicator for every candle as CSV (empty cells during warm-up).",
        discussion: """
        Columns: time (the candle's open time), the TA-Lib-compatible set sma20, sma50, ema12, ema26, macd, \
        macd_signal, macd_hist, rsi14, stoch_k, stoch_d, bb_upper, bb_middle, bb_lower, atr14, roc10, volume_sma20, \
        then Kestrel's own momentum, volume_ratio, bb_width, vwap50, high50 and low50.
        """
    )

    @Option(help: "A candle file (.csv or .json), or an embedded symbol such as BTCUSD.")
    var data: String = "BTCUSD"

    @Option(help: "Resample to this timeframe first (e.g. 1h, 4h, 1d); must be a multiple of the file's.")
    var timeframe: String?

    @Option(help: "How to treat missing candles: keep (default) or fill (flat candles at the previous close).")
    var gaps: String = GapPolicy.keep.rawValue

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    static let header = [
        "time", "sma20", "sma50", "ema12", "ema26", "macd", "macd_signal", "macd_hist", "rsi14", "stoch_k", "stoch_d",
        "bb_upper", "bb_middle", "bb_lower", "atr14", "roc10", "volume_sma20", "momentum", "volume_ratio", "bb_width",
        "vwap50", "high50", "low50",
    ]

    func run() async throws {
        try OutputFile.check(output)
        guard let policy = GapPolicy(rawValue: gaps) else {
            throw ValidationError("--gaps must be keep or fill, not '\(gaps)'")
        }
        let (loaded, _) = try MarketLoading.candles(source: data)
        guard let base = SeriesSummary.detectTimeframe(loaded) else {
            throw ValidationError("\(data) needs at least two candles")
        }
        var candles = policy.apply(loaded, timeframe: base)
        if let timeframe {
            guard let target = Timeframe(timeframe) else {
                throw ValidationError("--timeframe '\(timeframe)' is not a timeframe such as 30m, 1h, 4h or 1d")
            }
            guard target.isMultiple(of: base) else {
                throw ValidationError("--timeframe \(target) cannot be built from \(base) candles")
            }
            candles = Resampler.resample(candles, base: base, to: target)
        }
        let text = Self.csv(IndicatorTable(candles: candles))
        if let output {
            try OutputFile.write(text, to: output)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    static func csv(_ table: IndicatorTable) -> String {
        var text = header.joined(separator: ",") + "\n"
        text.reserveCapacity(table.rows.count * 300)
        for row in table.rows {
            let values = [
                row.sma20, row.sma50, row.ema12, row.ema26, row.macd, row.macdSignal, row.macdHistogram, row.rsi14,
                row.stochK, row.stochD, row.bbUpper, row.bbMiddle, row.bbLower, row.atr14, row.roc10, row.volumeSMA20,
                row.momentum, row.volumeSMA20.isNaN ? .nan : row.volumeRatio, row.bbWidth, row.vwap50, row.high50,
                row.low50,
            ]
            text += row.time.iso8601
            for value in values {
                text += ","
                if value.isFinite { text += "\(value)" }
            }
            text += "\n"
        }
        return text
    }
}
