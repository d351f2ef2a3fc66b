/// The indicators of one timeframe as a strategy sees them.
public struct TimeframeView: Sendable {
    public var timeframe: Timeframe
    public var indicators: IndicatorSnapshot
    /// How many candles the indicators were computed from.
    public var bars: Int
    /// Support and resistance from the volume profile, for the primary timeframe only. Worked out when read (most
    /// evaluations end before the score that reads it), so read it once.
    public var profile: VolumeProfile? {
        get {
            switch profileSource {
            case .given(let profile): profile
            case .window(let window): window.profile
            }
        }
        set { profileSource = .given(newValue) }
    }

    private enum ProfileSource: Sendable {
        case given(VolumeProfile?)
        case window(VolumeProfileWindow)
    }

    private var profileSource: ProfileSource

    public init(timeframe: Timeframe, indicators: IndicatorSnapshot, bars: Int, profile: VolumeProfile? = nil) {
        self.timeframe = timeframe
        self.indicators = indicators
        self.bars = bars
        profileSource = .given(profile)
    }

    /// A view whose profile comes from `window` when it is read.
    init(timeframe: Timeframe, indicators: IndicatorSnapshot, bars: Int, window: VolumeProfileWindow) {
        self.timeframe = timeframe
        self.indicators = indicators
        self.bars = bars
        profileSource = .window(window)
    }
}

/// Everything a strategy may read about one symbol: its primary timeframe and the confirming ones. It is built
/// from that symbol's candles alone, so a strategy cannot see another symbol's state.
public struct SymbolView: Sendable {
    public var symbol: String
    public var primary: TimeframeView
    public var confirmations: [TimeframeView]

    public init(symbol: String, primary: TimeframeView, confirmations: [TimeframeView]) {
        self.symbol = symbol
        self.primary = primary
        self.confirmations = confirmations
    }

    public func confirmation(_ timeframe: Timeframe) -> TimeframeView? {
        confirmations.first { $0.timeframe == timeframe }
    }
}

/// Facts from outside the candles that a strategy may adapt to.
public struct StrategyContext: Sendable, Equatable {
    /// Win rate of recent closed trades, when there are enough of them to mean something.
    public var recentWinRate: Double?
    /// Whether results list the reasons behind them. A strategy may leave them out when false: a backtest, which
    /// evaluates every symbol at every candle and never shows why, asks for none.
    public var explains: Bool

    public init(recentWinRate: Double? = nil, explains: Bool = true) {
        self.recentWinRate = recentWinRate
        self.explains = explains
    }
}

/// How much history a strategy reads on one timeframe.
public struct TimeframeRequirement: Sendable, Hashable {
    public var timeframe: Timeframe
    /// Candles fetched for a cold evaluation.
    public var history: Int
    /// Fewer candles than this and the timeframe is not used (for the primary: the symbol is skipped).
    public var minimum: Int

    public init(timeframe: Timeframe, history: Int, minimum: Int) {
        self.timeframe = timeframe
        self.history = history
        self.minimum = minimum
    }
}

/// A trading strategy: a pure function from one symbol's view to a signal.
///
/// To add a strategy, conform a type to this protocol and hand it to `MarketScanner`; the engine never needs to know
/// it. It must not keep mutable state between calls: the scanner evaluates symbols in parallel.
public protocol Strategy: Sendable {
    var name: String { get }
    /// The timeframe signals are generated on.
    var primary: TimeframeRequirement { get }
    /// Timeframes used to confirm or question the primary signal.
    var confirmations: [TimeframeRequirement] { get }

    func evaluate(_ view: SymbolView, context: StrategyContext) -> SignalResult
}

extension Strategy {
    /// All timeframes the strategy reads, primary first.
    public var requirements: [TimeframeRequirement] { [primary] + confirmations }
}
