/// The original bot's risk rules, ported as pure functions and with its errors fixed: size is in whole lots so
/// that the loss at the stop is equity x risk (not divided by leverage again), the stop always sits inside the
/// liquidation price, drawdown is measured on equity, and the daily loss limit is a real fraction.
public struct RiskManager: Sendable {
    public var settings: RiskSettings
    /// Maintenance margin rate of the venue, to keep stops clear of liquidation.
    public var maintenanceMarginRate: Double

    public init(settings: RiskSettings, maintenanceMarginRate: Double = 0.005) {
        self.settings = settings
        self.maintenanceMarginRate = maintenanceMarginRate
    }

    /// Why an entry is refused, in the order the gates are checked.
    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        case alreadyInPosition
        case noFreeBalance
        case groupFull(String, limit: Int)
        case maxOpenPositions(Int)
        case confidenceBelowMinimum(Double)
        case dailyLossLimit(loss: Double, limit: Double)
        case coolingDown(until: Timestamp)
        case sizeBelowMinimumLot
        case stopBeyondLiquidation

        public var description: String {
            switch self {
            case .alreadyInPosition: return "already in a position on this symbol"
            case .noFreeBalance: return "no free balance"
            case .groupFull(let group, let limit): return "\(limit) positions already open in the \(group) group"
            case .maxOpenPositions(let limit): return "MAX_OPEN_POSITIONS (\(limit)) reached"
            case .confidenceBelowMinimum(let minimum): return "confidence below \(minimum)"
            case .dailyLossLimit(let loss, let limit):
                return "daily loss \(NumberText.percent(loss)) reached the limit \(NumberText.percent(limit))"
            case .coolingDown(let until): return "cooling down until \(until)"
            case .sizeBelowMinimumLot: return "size rounds below one lot"
            case .stopBeyondLiquidation: return "no leverage keeps the stop inside liquidation"
            }
        }
    }

    // MARK: Gates

    /// The original's entry gates, then Kestrel's daily loss limit and cool-down.
    public func gate(symbol: String, base: String, confidence: Double, minimumConfidence: Double,
                     openSymbols: [(symbol: String, base: String)], availableMargin: Double, equity: Double,
                     state: RiskState, at time: Timestamp) -> Refusal? {
        if openSymbols.contains(where: { $0.symbol == symbol }) { return .alreadyInPosition }
        return gate(symbol: symbol, base: base, confidence: confidence, minimumConfidence: minimumConfidence,
                    openCount: openSymbols.count,
                    openInGroup: { group in openSymbols.count(where: { Self.group(ofBase: $0.base) == group }) },
                    availableMargin: availableMargin, equity: equity, state: state, at: time)
    }

    /// The gates after the first, for a caller that has refused a symbol it holds already: `openCount` symbols are
    /// open, and `openInGroup` counts those of a group. The engine asks at every look at an opportunity, and
    /// counts where its positions lie rather than list them.
    func gate(symbol: String, base: String, confidence: Double, minimumConfidence: Double, openCount: Int,
              openInGroup: (String) -> Int, availableMargin: Double, equity: Double, state: RiskState,
              at time: Timestamp) -> Refusal? {
        if availableMargin <= 0 { return .noFreeBalance }
        // Fewer symbols open than a group may hold cannot fill one: the groups (a hash each) are not looked up.
        let limit = max(2, Int(0.4 * Double(settings.maxOpenPositions)))
        if openCount >= limit {
            let group = Self.group(ofBase: base)
            if group != "other", openInGroup(group) >= limit { return .groupFull(group, limit: limit) }
        }
        if openCount >= settings.maxOpenPositions { return .maxOpenPositions(settings.maxOpenPositions) }
        if confidence < minimumConfidence { return .confidenceBelowMinimum(minimumConfidence) }
        let loss = state.dailyLoss(equity: equity)
        if loss >= settings.dailyLossLimit { return .dailyLossLimit(loss: loss, limit: settings.dailyLossLimit) }
        if let until = state.cooldownUntil[symbol], time < until { return .coolingDown(until: until) }
        return nil
    }

    static let groups: [String: Set<String>] = [
        "majors": ["BTC", "XBT", "ETH"],
        "defi": ["UNI", "AAVE", "LINK", "MKR", "COMP", "SNX", "CRV", "SUSHI", "YFI", "1INCH", "LDO"],
        "layer1": ["SOL", "ADA", "AVAX", "DOT", "ATOM", "NEAR", "ALGO", "EOS", "TRX", "XRP", "LTC", "XLM", "SUI",
                   "APT", "TON"],
        "layer2": ["MATIC", "POL", "ARB", "OP", "IMX", "STRK"],
        "meme": ["DOGE", "SHIB", "PEPE", "FLOKI", "BONK", "WIF"],
        "exchange": ["BNB", "OKB", "CRO", "KCS", "LEO"],
    ]

    /// `groups` turned around: the group of each base.
    static let groupOfBase: [String: String] = Dictionary(
        groups.flatMap { group, bases in bases.map { ($0, group) } }, uniquingKeysWith: { first, _ in first })

    public static func group(ofBase base: String) -> String {
        // The engine asks for every open position at every look at an opportunity: a base written as the groups
        // write it is found by its bytes, without hashing or upper-casing it.
        if let slot = groupedBases.slots.slot(of: base) { return groupedBases.groups[slot] }
        return groupOfBase[base.upperCasedAssetName] ?? "other"
    }

    /// Every base of `groups` as written there, and its group by slot.
    private static let groupedBases: (slots: SymbolSlots, groups: [String]) = {
        let bases = groupOfBase.keys.sorted()
        return (SymbolSlots(bases), bases.map { groupOfBase[$0] ?? "other" })
    }()

    // MARK: Stops

    /// Stop distance from volatility v (Bollinger width): 2.5% plus 1.5v below 0.02, 2v below 0.05, else
    /// min(2.5v, 6%); clamped to 1.5%-8%. The take profit sits at twice this distance.
    public static func stopDistance(volatility v: Double) -> Double {
        let width = v.isFinite ? max(0, v) : 0.05
        let extra = width < 0.02 ? 1.5 * width : width < 0.05 ? 2 * width : min(2.5 * width, 0.06)
        return min(max(0.025 + extra, 0.015), 0.08)
    }

    // MARK: Leverage

    public struct LeverageInputs: Sendable {
        public var volatility: Double
        public var confidence: Double
        public var momentum: Double
        /// |SMA20 - SMA50| / SMA50 on the primary timeframe.
        public var trendGap: Double
        public var regime: Regime
        public init(volatility: Double, confidence: Double, momentum: Double, trendGap: Double, regime: Regime) {
            self.volatility = volatility
            self.confidence = confidence
            self.momentum = momentum
            self.trendGap = trendGap
            self.regime = regime
        }
    }

    /// The original's leverage score, clamped to 3...LEVERAGE and the instrument's maximum, then lowered until the
    /// stop sits well inside the liquidation price.
    public func leverage(_ inputs: LeverageInputs, state: RiskState, equity: Double, stopDistance: Double,
                         instrumentMax: Int) -> Int? {
        let v = inputs.volatility.isFinite ? inputs.volatility : 0.05
        var score = v > 0.10 ? 3 : v > 0.08 ? 4 : v > 0.05 ? 6 : v > 0.03 ? 8 : v > 0.02 ? 11 : v > 0.01 ? 14 : 16
        let c = inputs.confidence
        score += c >= 0.85 ? 4 : c >= 0.80 ? 3 : c >= 0.75 ? 2 : c >= 0.65 ? 1 : c < 0.55 ? -3 : 0
        let m = inputs.momentum.isFinite ? abs(inputs.momentum) : 0
        score += m > 0.03 ? 2 : m > 0.02 ? 1 : m < 0.005 ? -1 : 0
        let trend = min(10 * (inputs.trendGap.isFinite ? inputs.trendGap : 0), 1)
        score += trend > 0.7 ? 2 : trend > 0.5 ? 1 : trend < 0.3 ? -1 : 0
        score += inputs.regime == .trending ? 3 : inputs.regime == .ranging ? -2 : 0
        score += state.winStreak >= 5 ? 2 : state.winStreak >= 3 ? 1 : 0
        score += state.lossStreak >= 4 ? -3 : state.lossStreak >= 2 ? -2 : 0
        let drawdown = state.drawdown(equity: equity)
        score += drawdown > 0.20 ? -10 : drawdown > 0.15 ? -6 : drawdown > 0.10 ? -3 : 0
        var leverage = min(max(score, 3), settings.leverage, instrumentMax)
        // Keep the stop at most 80% of the way to liquidation.
        while leverage > 1 {
            let liquidationDistance = 1 / Double(leverage) - maintenanceMarginRate
            if stopDistance <= 0.8 * liquidationDistance { break }
            leverage -= 1
        }
        let finalDistance = 1 / Double(leverage) - maintenanceMarginRate
        return stopDistance <= 0.8 * finalDistance ? leverage : nil
    }

    // MARK: Size

    /// How many closed trades Kelly sizing waits for before it sizes by their results.
    public static let kellyMinimumTrades = 20

    /// Risk per trade after Kelly (from `kellyMinimumTrades` closed trades) and the drawdown factor, clipped to
    /// 0.5%-3.5%.
    public func riskFraction(state: RiskState, equity: Double) -> Double {
        var risk = settings.riskPerTrade
        let returns = state.tradeReturns
        if returns.count >= Self.kellyMinimumTrades {
            let (winCount, winSum, lossSum, sum) = Self.sums(returns)
            let odds = Self.odds(winCount: winCount, winSum: winSum, lossSum: lossSum, count: returns.count)
            if let b = odds.payoffRatio {
                let p = odds.winRate
                let kelly = b > 0 ? (b * p - (1 - p)) / b : 0
                // A half-Kelly multiplier, less when results are erratic or losses are running.
                var fraction = 0.5
                let mean = sum / Double(returns.count)
                let squares = Self.squaredDeviations(returns, from: mean)
                let spread = (squares / Double(returns.count)).squareRoot()
                if spread > 2 * abs(mean) { fraction -= 0.1 }
                if state.lossStreak >= 3 { fraction -= 0.15 }
                if state.winStreak >= 3 { fraction += 0.1 }
                risk = kelly > 0 ? kelly * fraction : 0.005
            } else if winCount == 0 {
                risk = 0.005
            }
        }
        let drawdown = state.drawdown(equity: equity)
        if drawdown > 0.20 { risk *= 0.5 } else if drawdown > 0.15 { risk *= 0.75 }
        return min(max(risk, 0.005), 0.035)
    }

    /// What Kelly sizing reads from `returns`: the share that are wins, and the payoff ratio (the average win over
    /// the average loss; nil without both a win and a loss). Nil for no returns.
    public static func odds(_ returns: [Double]) -> (winRate: Double, payoffRatio: Double?)? {
        guard !returns.isEmpty else { return nil }
        let (winCount, winSum, lossSum, _) = sums(returns)
        return odds(winCount: winCount, winSum: winSum, lossSum: lossSum, count: returns.count)
    }

    /// `odds(_:)` from the sums of `count` returns.
    static func odds(winCount: Int, winSum: Double, lossSum: Double, count: Int)
        -> (winRate: Double, payoffRatio: Double?) {
        let lossCount = count - winCount
        let payoff = winCount > 0 && lossCount > 0
            ? (winSum / Double(winCount)) / abs(lossSum / Double(lossCount)) : nil
        return (Double(winCount) / Double(count), payoff)
    }

    /// Wins, the sum of wins, the sum of losses and the sum of all `returns`, in one pass.
    ///
    /// Sizing is called on every entry, over up to 200 returns. Four running sums of each kind, each over every
    /// fourth return, so that each addition waits on the one four returns back rather than the one before; and no
    /// branches: wins and losses alternate at random, and a mispredicted branch costs more than adding zero to the
    /// other sum (which leaves it as it was).
    static func sums(_ returns: [Double]) -> (winCount: Int, winSum: Double, lossSum: Double, sum: Double) {
        var winCounts = SIMD4<Int64>(), winSums = SIMD4<Double>(), lossSums = SIMD4<Double>(), sums = SIMD4<Double>()
        let zero = SIMD4<Double>()
        let whole = returns.count - returns.count % 4
        var index = 0
        while index < whole {
            let values = SIMD4(returns[index], returns[index + 1], returns[index + 2], returns[index + 3])
            let isWin = values .> zero
            winCounts &+= SIMD4<Int64>().replacing(with: 1, where: isWin)
            winSums += zero.replacing(with: values, where: isWin)
            lossSums += values.replacing(with: 0, where: isWin)
            sums += values
            index += 4
        }
        var winCount = Int(winCounts.wrappedSum())
        var winSum = (winSums[0] + winSums[1]) + (winSums[2] + winSums[3])
        var lossSum = (lossSums[0] + lossSums[1]) + (lossSums[2] + lossSums[3])
        var sum = (sums[0] + sums[1]) + (sums[2] + sums[3])
        for value in returns[whole...] {
            let isWin = value > 0
            winCount += isWin ? 1 : 0
            winSum += isWin ? value : 0
            lossSum += isWin ? 0 : value
            sum += value
        }
        return (winCount, winSum, lossSum, sum)
    }

    /// The sum of squared deviations of `returns` from `mean`, four running sums at a time as in `sums(_:)`.
    static func squaredDeviations(_ returns: [Double], from mean: Double) -> Double {
        var squares = SIMD4<Double>()
        let whole = returns.count - returns.count % 4
        var index = 0
        while index < whole {
            let deviations = SIMD4(returns[index], returns[index + 1], returns[index + 2], returns[index + 3]) - mean
            squares += deviations * deviations
            index += 4
        }
        var total = (squares[0] + squares[1]) + (squares[2] + squares[3])
        for value in returns[whole...] { total += (value - mean) * (value - mean) }
        return total
    }

    /// Whole lots such that the loss at the stop is at most `equity x risk`, within the position cap and the
    /// margin available. Nil when that is less than one lot.
    public func lots(equity: Double, risk: Double, price: Double, stopDistance: Double, leverage: Int,
                     availableMargin: Double, takerFee: Double, instrument: Instrument) -> Int? {
        guard equity > 0, price > 0, stopDistance > 0, leverage > 0, instrument.contractMultiplier > 0,
              instrument.lotSize > 0 else { return nil }
        let lotValue = instrument.contractMultiplier * price
        // Loss at the stop per lot: the move to the stop plus the fees of entry and exit.
        let lossPerLot = lotValue * (stopDistance + 2 * takerFee)
        var lots = Int((equity * risk / lossPerLot).rounded(.down))
        let marginPerLot = lotValue / Double(leverage)
        let marginCap = min(equity * settings.maxPositionSize, availableMargin)
        lots = min(lots, Int((marginCap / (marginPerLot + lotValue * takerFee)).rounded(.down)))
        lots = lots / instrument.lotSize * instrument.lotSize
        return lots >= instrument.lotSize ? lots : nil
    }
}
