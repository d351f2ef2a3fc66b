import KestrelCore
import KestrelMarketData

enum KestrelMarketDataAccess {
    static func candles(_ symbol: String) throws -> [Candle] { try EmbeddedMarket.candles(for: symbol) }
}
