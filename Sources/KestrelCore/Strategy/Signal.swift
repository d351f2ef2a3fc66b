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

/// What an indicator vote was about, with the values that decided it.
public enum VoteFactor: Sendable, Equatable, Codable {
    case emaTrend(above: Bool)
    case macd(above: Bool)
    case rsi(Double)
    case stochastic(k: Double)
    case bollinger(belowLower: Bool)
    case volume(ratio: Double)
    case momentum(Double, mild: Bool)
    case near50BarLow
    case near50BarHigh

    public var description: String {
        switch self {
        case .emaTrend(let above): return above ? "EMA12 above EMA26" : "EMA12 below EMA26"
        case .macd(let above): return above ? "MACD above signal" : "MACD below signal"
        case .rsi(let value):
            let zone = value < 30 ? "oversold" : value > 70 ? "overbought" : value < 50 ? "low" : "high"
            return "RSI \(NumberText.readable(value)) \(zone)"
        case .stochastic(let k):
            return k < 50 ? "stochastic %K \(NumberText.readable(k)) turning up from oversold"
                : "stochastic %K \(NumberText.readable(k)) turning down from overbought"
        case .bollinger(let belowLower):
            return belowLower ? "close below the lower Bollinger band" : "close above the upper Bollinger band"
        case .volume(let ratio): return "volume \(NumberText.readable(ratio))x its average"
        case .momentum(let value, let mild): return "\(mild ? "mild momentum" : "momentum") \(NumberText.percent(value))"
        case .near50BarLow: return "within 2% of the 50-bar low"
        case .near50BarHigh: return "within 2% of the 50-bar high"
        }
    }
}

/// One vote behind a signal: which side, how heavy, and why.
public struct Vote: Sendable, Equatable, Codable, CustomStringConvertible {
    public var side: Signal
    public var weight: Double
    public var factor: VoteFactor

    public init(side: Signal, weight: Double, factor: VoteFactor) {
        self.side = side
        self.weight = weight
        self.factor = factor
    }

    public var description: String {
        "\(factor.description) (\(side.rawValue.lowercased()) \(NumberText.readable(weight)))"
    }
}

/// A reason behind a verdict, kept as data so that a trader (or a test) can see exactly why Kestrel wants a trade,
/// and rendered to text only when shown: scans evaluate hundreds of symbols and show five.
public enum Reason: Sendable, Equatable, Codable, CustomStringConvertible {
    case vote(Vote)
    case noVotes
    case tie
    case belowMinimum(confidence: Double, minimum: Double, regime: Regime)
    case higherTimeframes(agree: Bool, side: Signal, strength: Double, multiplier: Double)
    case conflictTooWeak(confidence: Double)
    case supportInReach(Double)
    case resistanceInReach(Double)
    /// A reason from a strategy outside Kestrel's own.
    case note(String)

    public var description: String {
        switch self {
        case .vote(let vote): return vote.description
        case .noVotes: return "no votes"
        case .tie: return "buy and sell votes tie"
        case .belowMinimum(let confidence, let minimum, let regime):
            return "confidence \(NumberText.readable(confidence)) below the \(regime.rawValue) minimum \(NumberText.readable(minimum))"
        case .higherTimeframes(let agree, let side, let strength, let multiplier):
            return "4h/1d \(agree ? "agree" : "disagree") (\(side.rawValue), strength \(NumberText.readable(strength))): "
                + "confidence x\(NumberText.readable(multiplier))"
        case .conflictTooWeak(let confidence):
            return "confidence \(NumberText.readable(confidence)) below 0.7 x minimum after the conflict"
        case .supportInReach(let price): return "support at \(NumberText.readable(price)) within reach"
        case .resistanceInReach(let price): return "resistance at \(NumberText.readable(price)) within reach"
        case .note(let text): return text
        }
    }
}

/// A strategy's verdict on one symbol at one time.
public struct SignalResult: Sendable, Equatable, Codable {
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
    /// |SMA20 - SMA50| / SMA50 on the primary timeframe: how far apart the trend averages are.
    public var trendGap: Double
    /// Every vote and adjustment, in the order they were applied.
    public var reasons: [Reason]

    public init(symbol: String, dataTime: Timestamp, signal: Signal, confidence: Double, score: Double,
                regime: Regime, price: Double, bbWidth: Double, atr: Double, momentum: Double, rsi: Double,
                trendGap: Double = .nan, reasons: [Reason]) {
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
        self.trendGap = trendGap
        self.reasons = reasons
    }

    /// Whether the result is a trade to consider: BUY or SELL with a positive score.
    public var isActionable: Bool { signal != .hold && score > 0 }
}
