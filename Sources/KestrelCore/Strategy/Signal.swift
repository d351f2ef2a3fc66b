/// What a strategy says to do about one symbol.
public enum Signal: String, Sendable, Codable, CaseIterable {
    case buy = "BUY"
    case sell = "SELL"
    case hold = "HOLD"
}

/// The market's character on the primary timeframe; it changes how the votes are weighed.
public enum Regime: String, Sendable, Codable, CaseIterable {
    case trending
    case ranging
    case neutral
}

/// One vote behind a signal, kept so that a trader can see why Kestrel wants a trade.
public struct Vote: Sendable, Equatable, CustomStringConvertible {
    public var side: Signal
    public var weight: Double
    public var reason: String

    public init(side: Signal, weight: Double, reason: String) {
        self.side = side
        self.weight = weight
        self.reason = reason
    }

    public var description: String {
        let rounded = (weight * 100).rounded() / 100
        return "\(reason) (\(side == .buy ? "+" : "-")\(rounded) \(side.rawValue.lowercased()))"
    }
}

/// A strategy's verdict on one symbol at one time.
public struct SignalResult: Sendable, Equatable {
    public var symbol: String
    /// Close time of the newest primary-timeframe candle the verdict is based on.
    public var dataTime: Timestamp
    public var signal: Signal
    /// Share of the vote weight on the winning side, after multi-timeframe confirmation; 0 for no votes.
    public var confidence: Double
    /// Ranking score; 0 for HOLD.
    public var score: Double
    public var regime: Regime
    public var price: Double
    /// Bollinger band width (upper - lower) / middle on the primary timeframe.
    public var bbWidth: Double
    public var atr: Double
    public var momentum: Double
    public var rsi: Double
    /// Every vote and adjustment, in the order they were applied.
    public var reasons: [String]

    public init(symbol: String, dataTime: Timestamp, signal: Signal, confidence: Double, score: Double,
                regime: Regime, price: Double, bbWidth: Double, atr: Double, momentum: Double, rsi: Double,
                reasons: [String]) {
        self.symbol = symbol
        self.dataTime = dataTime
        self.signal = signal
        self.confidence = confidence
        self.score = score
        self.regime = regime
        self.price = price
        self.bbWidth = bbWidth
        self.atr = atr
        self.momentum = momentum
        self.rsi = rsi
        self.reasons = reasons
    }

    /// Whether the result is a trade to consider: BUY or SELL with a positive score.
    public var isActionable: Bool { signal != .hold && score > 0 }
}
