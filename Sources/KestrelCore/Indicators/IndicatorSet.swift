/// The latest value of every indicator the strategy reads, for one timeframe of one symbol.
///
/// A value is NaN until its indicator has seen enough bars (the same bars TA-Lib leaves empty).
public struct IndicatorSnapshot: Sendable, Equatable {
    public var time = Timestamp(seconds: 0)
    public var close = Double.nan
    public var volume = Double.nan
    public var sma20 = Double.nan
    public var sma50 = Double.nan
    public var ema12 = Double.nan
    public var ema26 = Double.nan
    public var macd = Double.nan
    public var macdSignal = Double.nan
    public var macdHistogram = Double.nan
    public var rsi14 = Double.nan
    public var stochK = Double.nan
    public var stochD = Double.nan
    public var bbUpper = Double.nan
    public var bbMiddle = Double.nan
    public var bbLower = Double.nan
    public var atr14 = Double.nan
    public var roc10 = Double.nan
    /// 10-bar fractional change of the close.
    public var momentum = Double.nan
    public var volumeSMA20 = Double.nan
    public var vwap50 = Double.nan
    /// Highest high and lowest low of the last 50 bars.
    public var high50 = Double.nan
    public var low50 = Double.nan

    public init() {}

    /// (upper - lower) / middle.
    public var bbWidth: Double { (bbUpper - bbLower) / bbMiddle }

    /// volume / its 20-bar SMA; 1 while undefined.
    public var volumeRatio: Double {
        guard volumeSMA20.isFinite, volumeSMA20 > 0 else { return 1 }
        return volume / volumeSMA20
    }

    /// %K, or a neutral 50 while undefined.
    public var stochKOrNeutral: Double { stochK.isNaN ? 50 : stochK }
    /// %D, or a neutral 50 while undefined.
    public var stochDOrNeutral: Double { stochD.isNaN ? 50 : stochD }
}

/// Every indicator of `IndicatorSnapshot`, updated together one candle at a time in O(1).
///
/// Follows TA-Lib's formulas and seeding; `BatchIndicators` computes the same values for whole series, bit for bit.
public struct IndicatorSet: Sendable {
    public static let profileBars = VolumeProfile.defaultBars

    private var sma20 = SimpleMovingAverage(period: 20)
    private var sma50 = SimpleMovingAverage(period: 50)
    private var ema12 = ExponentialMovingAverage(period: 12)
    private var ema26 = ExponentialMovingAverage(period: 26)
    private var macd = MovingAverageConvergenceDivergence(fast: 12, slow: 26, signal: 9)
    private var rsi = RelativeStrengthIndex(period: 14)
    private var stochastic = FastStochastic(kPeriod: 14, dPeriod: 3)
    private var bands = BollingerBands(period: 20, deviations: 2)
    private var atr = AverageTrueRange(period: 14)
    private var roc = RateOfChange(period: 10)
    private var volumeAverage = SimpleMovingAverage(period: 20)
    private var vwap = RollingVWAP(period: 50)
    /// The 50-bar high and low, kept as they move (O(1) a bar on average): a snapshot is taken at every scan.
    private var high50 = RollingExtremum(period: IndicatorSet.profileBars, kind: .maximum)
    private var low50 = RollingExtremum(period: IndicatorSet.profileBars, kind: .minimum)
    /// The last 50 closes and volumes (and, once asked to keep them, their bins), read only when the volume profile
    /// is asked for.
    private(set) var profileWindow = VolumeProfileWindow(capacity: IndicatorSet.profileBars)
    public private(set) var count = 0
    public private(set) var lastCandle: Candle?

    public init() {}

    /// From now on, keeps what makes the volume profile cheap to read at every bar (see `VolumeProfileWindow`):
    /// for a set whose profile is read bar after bar.
    mutating func keepProfileBins() { profileWindow.keepBins() }

    /// Builds the set from history, oldest first.
    public init(candles: some Sequence<Candle>) {
        for candle in candles { update(candle) }
    }

    // Each indicator's update is inlined here (they are marked so): as a dozen calls the set cost some 200 ns a
    // candle, inlined about 160 (`kestrel bench --only streaming`).
    @inline(__always)
    public mutating func update(_ candle: Candle) {
        let close = candle.close
        sma20.update(close)
        sma50.update(close)
        ema12.update(close)
        ema26.update(close)
        macd.update(close)
        rsi.update(close)
        stochastic.update(high: candle.high, low: candle.low, close: close)
        bands.update(close)
        atr.update(high: candle.high, low: candle.low, close: close)
        roc.update(close)
        volumeAverage.update(candle.volume)
        vwap.update(typicalPrice: candle.typicalPrice, volume: candle.volume)
        high50.update(candle.high)
        low50.update(candle.low)
        profileWindow.push(close: close, volume: candle.volume)
        count += 1
        lastCandle = candle
    }

    // Inlined: a call copies the whole set (over a kilobyte, a dozen references) to read twenty numbers from it.
    @inline(__always)
    public var snapshot: IndicatorSnapshot {
        var s = IndicatorSnapshot()
        guard let candle = lastCandle else { return s }
        s.time = candle.time
        s.close = candle.close
        s.volume = candle.volume
        s.sma20 = sma20.value
        s.sma50 = sma50.value
        s.ema12 = ema12.value
        s.ema26 = ema26.value
        s.macd = macd.macd
        s.macdSignal = macd.signal
        s.macdHistogram = macd.histogram
        s.rsi14 = rsi.value
        s.stochK = stochastic.k
        s.stochD = stochastic.d
        s.bbUpper = bands.upper
        s.bbMiddle = bands.middle
        s.bbLower = bands.lower
        s.atr14 = atr.value
        s.roc10 = roc.percent
        s.momentum = roc.fraction
        s.volumeSMA20 = volumeAverage.value
        s.vwap50 = vwap.value
        if high50.isReady {
            s.high50 = high50.value
            s.low50 = low50.value
        }
        return s
    }

    /// Supports and resistances of the last `profileBars` bars (summed on demand: O(bars)).
    public var volumeProfile: VolumeProfile? { profileWindow.profile }
}
