/// The risk limits a trader sets. Fractions are of equity (0.02 = 2%).
public struct RiskSettings: Sendable, Hashable {
    public var maxOpenPositions: Int
    /// Highest leverage Kestrel will use; the leverage score is clamped to 3...this.
    public var leverage: Int
    /// Loss at the stop, as a fraction of equity, before Kelly and drawdown adjustments.
    public var riskPerTrade: Double
    /// Largest margin one position may take, as a fraction of equity.
    public var maxPositionSize: Double
    /// Base trailing-stop distance before volatility and profit adjustments.
    public var trailingStopPercentage: Double
    /// Stop opening positions once the day's loss reaches this fraction of start-of-day equity (resets 00:00 UTC).
    public var dailyLossLimit: Double
    /// After an exit, a symbol is not traded again for this long.
    public var symbolCooldownSeconds: Int64

    public init(maxOpenPositions: Int = 3, leverage: Int = 10, riskPerTrade: Double = 0.02,
                maxPositionSize: Double = 0.5, trailingStopPercentage: Double = 0.02, dailyLossLimit: Double = 0.05,
                symbolCooldownSeconds: Int64 = 3600) {
        self.maxOpenPositions = maxOpenPositions
        self.leverage = leverage
        self.riskPerTrade = riskPerTrade
        self.maxPositionSize = maxPositionSize
        self.trailingStopPercentage = trailingStopPercentage
        self.dailyLossLimit = dailyLossLimit
        self.symbolCooldownSeconds = symbolCooldownSeconds
    }

    /// The original's defaults by account size, for settings a user did not give: leverage, largest position and
    /// risk per trade.
    public static func tier(forBalance balance: Double) -> (leverage: Int, maxPositionSize: Double, riskPerTrade: Double) {
        switch balance {
        case ..<100: return (5, 0.30, 0.01)
        case ..<1_000: return (7, 0.40, 0.015)
        case ..<10_000: return (10, 0.50, 0.02)
        case ..<100_000: return (12, 0.60, 0.025)
        default: return (15, 0.60, 0.03)
        }
    }
}

/// What the risk rules remember between trades: equity peak, streaks, the day's loss, cool-downs and the closed
/// trades Kelly sizing learns from.
public struct RiskState: Sendable, Equatable, Codable {
    public var equityPeak: Double
    /// Days since 1970-01-01 (UTC) of `dayStartEquity`.
    public var day: Int64
    public var dayStartEquity: Double
    public var winStreak = 0
    public var lossStreak = 0
    public var cooldownUntil: [String: Timestamp] = [:]
    /// Returns of closed trades as fractions of the equity risked (PnL / equity at entry), newest last.
    public var tradeReturns: [Double] = []

    public init(equity: Double, time: Timestamp) {
        equityPeak = equity
        day = time.seconds / 86_400
        dayStartEquity = equity
    }

    /// Drawdown from the equity peak, as a fraction (0.1 = 10% below the peak).
    public func drawdown(equity: Double) -> Double {
        equityPeak > 0 ? max(0, (equityPeak - equity) / equityPeak) : 0
    }

    /// Tracks the equity peak and starts a new day at 00:00 UTC.
    public mutating func observe(equity: Double, at time: Timestamp) {
        equityPeak = max(equityPeak, equity)
        let today = time.seconds / 86_400
        if today != day {
            day = today
            dayStartEquity = equity
        }
    }

    /// Loss since the start of the day, as a fraction of start-of-day equity (0 when up).
    public func dailyLoss(equity: Double) -> Double {
        dayStartEquity > 0 ? max(0, (dayStartEquity - equity) / dayStartEquity) : 0
    }

    public mutating func recordClosedTrade(pnl: Double, equityAtEntry: Double, symbol: String, at time: Timestamp,
                                           cooldown: Int64) {
        if pnl > 0 {
            winStreak += 1
            lossStreak = 0
        } else {
            lossStreak += 1
            winStreak = 0
        }
        tradeReturns.append(equityAtEntry > 0 ? pnl / equityAtEntry : 0)
        if tradeReturns.count > 200 { tradeReturns.removeFirst(tradeReturns.count - 200) }
        cooldownUntil[symbol] = time + cooldown
    }

    public var recentWinRate: Double? {
        let recent = tradeReturns.suffix(20)
        guard recent.count >= 10 else { return nil }
        return Double(recent.filter { $0 > 0 }.count) / Double(recent.count)
    }
}
