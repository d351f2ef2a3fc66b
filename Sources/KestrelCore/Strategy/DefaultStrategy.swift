/// The original bot's strategy, ported: weighted indicator votes on the 1h chart, confirmed by 4h and 1d, ranked
/// by a score. See `docs/strategy.md` for every rule and where Kestrel departs from the original.
public struct DefaultStrategy: Strategy {
    public struct Parameters: Sendable, Equatable {
        public var minimumConfidenceTrending: Double
        public var minimumConfidenceRanging: Double
        /// Neutral-regime minimum when no win rate is known; adapts between `adaptiveLow` and `adaptiveHigh`.
        public var minimumConfidenceNeutral: Double
        public var adaptiveLow: Double
        public var adaptiveHigh: Double
        /// A support (for BUY) or resistance (for SELL) counts as within reach at this many ATRs from the price,
        /// or `supportReachFraction` of the price, whichever is larger.
        public var supportReachATR: Double
        public var supportReachFraction: Double

        /// The original's thresholds: 0.52 trending, 0.58 ranging, 0.6 neutral (0.55 to 0.7 by win rate).
        public static let original = Parameters(
            minimumConfidenceTrending: 0.52, minimumConfidenceRanging: 0.58, minimumConfidenceNeutral: 0.6,
            adaptiveLow: 0.55, adaptiveHigh: 0.7, supportReachATR: 1.5, supportReachFraction: 0.005)

        /// The later, stricter thresholds: 0.70 trending, 0.76 ranging, 0.72 neutral.
        public static let conservative = Parameters(
            minimumConfidenceTrending: 0.70, minimumConfidenceRanging: 0.76, minimumConfidenceNeutral: 0.72,
            adaptiveLow: 0.70, adaptiveHigh: 0.76, supportReachATR: 1.5, supportReachFraction: 0.005)
    }

    public var parameters: Parameters
    public let name = "default"
    public let primary = TimeframeRequirement(timeframe: .oneHour, history: 100, minimum: 50)
    public let confirmations = [
        TimeframeRequirement(timeframe: .fourHours, history: 50, minimum: 20),
        TimeframeRequirement(timeframe: .oneDay, history: 30, minimum: 20),
    ]

    public init(parameters: Parameters = .original) { self.parameters = parameters }

    public func evaluate(_ view: SymbolView, context: StrategyContext) -> SignalResult {
        let p = view.primary.indicators
        let momentum = p.momentum.isFinite ? p.momentum : 0
        let roc = p.roc10.isFinite ? p.roc10 : 0
        let bbWidth = p.bbWidth
        let regime = Self.regime(momentum: momentum, roc: roc, bbWidth: bbWidth)
        var tally = Tally(explains: context.explains)
        Self.vote(p, regime: regime, momentum: momentum, roc: roc, into: &tally)

        var result = SignalResult(
            symbol: view.symbol, dataTime: p.time + view.primary.timeframe.seconds, signal: .hold, confidence: 0,
            score: 0, regime: regime, price: p.close, bbWidth: bbWidth, atr: p.atr14, momentum: momentum,
            rsi: p.rsi14, trendGap: abs(p.sma20 - p.sma50) / p.sma50,
            reasons: tally.reasons)
        guard tally.buy != tally.sell else {
            tally.explain(tally.buy == 0 ? .noVotes : .tie, in: &result)
            return result
        }
        let side: Signal = tally.buy > tally.sell ? .buy : .sell
        var confidence = max(tally.buy, tally.sell) / (tally.buy + tally.sell)
        let minimum = minimumConfidence(regime, winRate: context.recentWinRate)
        // The 4h / 1d trend adjusts confidence before the minimum applies: agreement can lift a signal over it;
        // under conflict the confidence drops to 0.7x and must still reach 0.7x the minimum.
        var threshold = minimum
        if let (aligned, strength) = Self.higherTimeframeTrend(view) {
            let multiplier = aligned == side ? 1 + 0.2 * strength : 0.7
            confidence = min(confidence * multiplier, 0.99)
            if aligned != side { threshold = 0.7 * minimum }
            tally.explain(.higherTimeframes(agree: aligned == side, side: aligned, strength: strength,
                                            multiplier: multiplier), in: &result)
        }
        result.confidence = confidence
        guard confidence >= threshold else {
            tally.explain(threshold == minimum
                ? .belowMinimum(confidence: confidence, minimum: minimum, regime: regime)
                : .conflictTooWeak(confidence: confidence), in: &result)
            return result
        }
        result.signal = side
        result.score = score(side: side, confidence: confidence, regime: regime, view: view,
                             explains: context.explains, reasons: &result.reasons)
        return result
    }

    // MARK: Regime and votes

    static func regime(momentum: Double, roc: Double, bbWidth: Double) -> Regime {
        if momentum.magnitude > 0.03 || roc.magnitude > 3 { return .trending }
        if bbWidth.isFinite, bbWidth < 0.02, momentum.magnitude < 0.01 { return .ranging }
        return .neutral
    }

    struct Tally {
        var buy = 0.0
        var sell = 0.0
        /// The votes as reasons (when asked for), with room for the verdict's reasons that follow them: one
        /// allocation per evaluation, none when the context asks for no explanation.
        var reasons: [Reason] = []

        let explains: Bool

        init(explains: Bool) {
            self.explains = explains
            if explains { reasons.reserveCapacity(12) }
        }

        func explain(_ reason: @autoclosure () -> Reason, in result: inout SignalResult) {
            if explains { result.reasons.append(reason()) }
        }

        mutating func add(_ side: Signal, _ weight: Double, _ factor: VoteFactor) {
            if side == .buy { buy += weight } else { sell += weight }
            if explains { reasons.append(.vote(Vote(side: side, weight: weight, factor: factor))) }
        }
    }

    static func vote(_ p: IndicatorSnapshot, regime: Regime, momentum: Double, roc: Double, into tally: inout Tally) {
        let trendWeight = regime == .trending ? 2.5 : 1.5
        let oscillatorWeight = regime == .ranging ? 2.0 : 1.0

        if p.ema12 > p.ema26 {
            tally.add(.buy, trendWeight, .emaTrend(above: true))
        } else if p.ema12 < p.ema26 {
            tally.add(.sell, trendWeight, .emaTrend(above: false))
        }
        if p.macd > p.macdSignal, p.macdHistogram > 0 {
            tally.add(.buy, trendWeight, .macd(above: true))
        } else if p.macd < p.macdSignal, p.macdHistogram < 0 {
            tally.add(.sell, trendWeight, .macd(above: false))
        }
        let rsi = p.rsi14
        if rsi < 30 {
            tally.add(.buy, 1.5 * oscillatorWeight, .rsi(rsi))
        } else if rsi > 70 {
            tally.add(.sell, 1.5 * oscillatorWeight, .rsi(rsi))
        } else if rsi >= 30, rsi < 40 {
            tally.add(.buy, 0.5 * oscillatorWeight, .rsi(rsi))
        } else if rsi > 60, rsi <= 70 {
            tally.add(.sell, 0.5 * oscillatorWeight, .rsi(rsi))
        }
        let k = p.stochKOrNeutral
        let d = p.stochDOrNeutral
        if k < 20, k > d {
            tally.add(.buy, oscillatorWeight, .stochastic(k: k))
        } else if k > 80, k < d {
            tally.add(.sell, oscillatorWeight, .stochastic(k: k))
        }
        if p.close < p.bbLower {
            tally.add(.buy, 1.5, .bollinger(belowLower: true))
        } else if p.close > p.bbUpper {
            tally.add(.sell, 1.5, .bollinger(belowLower: false))
        }
        let volumeRatio = p.volumeRatio
        if volumeRatio > 1.5, tally.buy != tally.sell {
            tally.add(tally.buy > tally.sell ? .buy : .sell, 1, .volume(ratio: volumeRatio))
        }
        let threshold = regime == .ranging ? 0.015 : 0.02
        let side: Signal = momentum > 0 ? .buy : .sell
        if momentum.magnitude > threshold {
            let strength = (momentum.magnitude + roc.magnitude / 100) / 2
            tally.add(side, min(strength / threshold, 2) * trendWeight, .momentum(momentum, mild: false))
        } else if momentum.magnitude > 0.005 {
            tally.add(side, 0.3 * trendWeight, .momentum(momentum, mild: true))
        }
        if p.low50.isFinite, (p.close - p.low50) / p.low50 <= 0.02 {
            tally.add(.buy, 1.5, .near50BarLow)
        }
        if p.high50.isFinite, (p.high50 - p.close) / p.high50 <= 0.02 {
            tally.add(.sell, 1.5, .near50BarHigh)
        }
    }

    func minimumConfidence(_ regime: Regime, winRate: Double?) -> Double {
        switch regime {
        case .trending: return parameters.minimumConfidenceTrending
        case .ranging: return parameters.minimumConfidenceRanging
        case .neutral:
            guard let winRate else { return parameters.minimumConfidenceNeutral }
            if winRate > 0.6 { return parameters.adaptiveLow }
            if winRate < 0.4 { return parameters.adaptiveHigh }
            return parameters.minimumConfidenceNeutral
        }
    }

    /// The 4h and 1d trend: 4h votes EMA trend 1, MACD 1, RSI against 50 0.5; 1d votes EMA trend 1.5. Returns the
    /// side that leads by more than 1.5x, with its share of the votes, or nil when neither does.
    static func higherTimeframeTrend(_ view: SymbolView) -> (Signal, Double)? {
        var buy = 0.0
        var sell = 0.0
        // Read in place: `confirmation(_:)` would copy each timeframe's whole view.
        let confirmations = view.confirmations
        if let index = confirmations.firstIndex(where: { $0.timeframe == .fourHours }) {
            let ema12 = confirmations[index].indicators.ema12, ema26 = confirmations[index].indicators.ema26
            let macd = confirmations[index].indicators.macd, signal = confirmations[index].indicators.macdSignal
            let rsi = confirmations[index].indicators.rsi14
            if ema12 > ema26 { buy += 1 } else if ema12 < ema26 { sell += 1 }
            if macd > signal { buy += 1 } else if macd < signal { sell += 1 }
            if rsi > 50 { buy += 0.5 } else if rsi < 50 { sell += 0.5 }
        }
        if let index = confirmations.firstIndex(where: { $0.timeframe == .oneDay }) {
            let ema12 = confirmations[index].indicators.ema12, ema26 = confirmations[index].indicators.ema26
            if ema12 > ema26 { buy += 1.5 } else if ema12 < ema26 { sell += 1.5 }
        }
        let total = buy + sell
        guard total > 0 else { return nil }
        if buy > 1.5 * sell { return (.buy, buy / total) }
        if sell > 1.5 * buy { return (.sell, sell / total) }
        return nil
    }

    // MARK: Score

    /// The ranking score of a signal that holds; the support or resistance it counts goes into `reasons` when
    /// `explains`.
    func score(side: Signal, confidence: Double, regime: Regime, view: SymbolView, explains: Bool = true,
               reasons: inout [Reason]) -> Double {
        let p = view.primary.indicators
        let momentum = (p.momentum.isFinite ? p.momentum : 0).magnitude
        var score = 120 * confidence
        if momentum > 0.04 { score += 25 } else if momentum > 0.03 { score += 18 }
        else if momentum > 0.02 { score += 12 } else if momentum > 0.01 { score += 5 }

        let volumeRatio = p.volumeRatio
        if volumeRatio > 3 { score += 15 } else if volumeRatio > 2 { score += 10 } else if volumeRatio > 1.5 { score += 5 }

        let width = p.bbWidth
        if width.isFinite {
            if width > 0.10 { score -= 8 } else if width >= 0.08 { score += 6 }
            else if width >= 0.03 { score += 12 } else if width < 0.01 { score -= 3 }
        }
        let rsi = p.rsi14
        if rsi < 25 || rsi > 75 { score += 12 } else if rsi < 30 || rsi > 70 { score += 6 }
        if regime == .trending { score += 12 } else if regime == .ranging { score += 5 }

        let efficiency = momentum / max(width.isFinite ? width : 0, 0.01)
        if efficiency > 1.5 { score += 15 } else if efficiency > 1 { score += 8 } else if efficiency < 0.5 { score -= 8 }

        if let profile = view.primary.profile {
            let reach = max(parameters.supportReachATR * (p.atr14.isFinite ? p.atr14 : 0),
                            parameters.supportReachFraction * p.close)
            if side == .buy, let support = profile.nearestSupport, p.close - support <= reach {
                score += 10
                if explains { reasons.append(.supportInReach(support)) }
            } else if side == .sell, let resistance = profile.nearestResistance, resistance - p.close <= reach {
                score += 10
                if explains { reasons.append(.resistanceInReach(resistance)) }
            }
        }
        return score
    }
}
