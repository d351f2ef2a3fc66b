/// One OHLCV bar. `time` is the bar's open time; the bar is closed at `time + timeframe.seconds`.
public struct Candle: Hashable, Sendable {
    public var time: Timestamp
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    /// Volume in the base asset (coins), as exchanges and ccxt report it.
    public var volume: Double

    public init(time: Timestamp, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// (high + low + close) / 3, the price VWAP weighs.
    public var typicalPrice: Double { (high + low + close) / 3 }
}
