/// A ranked trade idea from a scan: what to trade, which way, how sure, and on what data.
public struct Opportunity: Sendable, Equatable, Codable {
    public var symbol: String
    public var signal: Signal
    public var confidence: Double
    public var score: Double
    /// Last price when the data was taken.
    public var price: Double
    public var regime: Regime
    /// Volatility: Bollinger band width and ATR on the primary timeframe.
    public var bbWidth: Double
    public var atr: Double
    public var momentum: Double
    public var reasons: [Reason]
    /// The time the data behind the opportunity was taken (the scan's as-of time).
    public var dataTime: Timestamp
    public var instrument: Instrument

    public init(result: SignalResult, price: Double, dataTime: Timestamp, instrument: Instrument) {
        symbol = result.symbol
        signal = result.signal
        confidence = result.confidence
        score = result.score
        self.price = price
        regime = result.regime
        bbWidth = result.bbWidth
        atr = result.atr
        momentum = result.momentum
        reasons = result.reasons
        self.dataTime = dataTime
        self.instrument = instrument
    }
}

/// Why a symbol was left out of a scan.
public struct ScanSkip: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// Fewer primary candles than the strategy needs.
        case insufficientHistory(bars: Int, needed: Int)
        /// The newest closed candle ends at `closedUntil`, before the one due at `due` (a streamed market).
        case stale(closedUntil: Timestamp?, due: Timestamp)
        /// Fetching or evaluating failed; the message says how.
        case failed(String)
    }

    public var symbol: String
    public var reason: Reason
}

/// The outcome of one scan of the market.
public struct ScanResult: Sendable {
    /// Best first, at most the scan's `top`.
    public var opportunities: [Opportunity]
    /// Every symbol's verdict, including HOLD (in universe order), for reports and tests.
    public var results: [SignalResult]
    public var skipped: [ScanSkip]
    /// Instruments listed, and those left after the volume filter.
    public var listed: Int
    public var universe: [String]
    /// The market time the scan saw the data as of.
    public var asOf: Timestamp
    /// Wall-clock time the scan took.
    public var duration: Duration

    public var failures: [ScanSkip] {
        skipped.filter { if case .failed = $0.reason { return true } else { return false } }
    }
}
