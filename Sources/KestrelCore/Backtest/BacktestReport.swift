import Foundation

/// The measures traders know from Freqtrade's backtest report, computed from a `BacktestResult`.
public struct BacktestReport: Sendable {
    public struct Group: Sendable, Encodable {
        public var name: String
        public var trades: Int
        public var averageProfitPercent: Double
        public var totalProfit: Double
        public var wins: Int
        public var draws: Int
        public var losses: Int
        public var averageDurationHours: Double
    }

    public struct Summary: Sendable, Encodable {
        public var start: String
        public var end: String
        public var startingBalance: Double
        public var finalBalance: Double
        public var absoluteProfit: Double
        public var profitPercent: Double
        public var cagr: Double
        public var sharpe: Double
        public var sortino: Double
        public var calmar: Double
        public var profitFactor: Double
        /// Average net PnL per trade.
        public var expectancy: Double
        public var maxDrawdown: Double
        public var maxDrawdownStart: String
        public var maxDrawdownEnd: String
        public var bestTradePercent: Double
        public var worstTradePercent: Double
        public var bestDay: Double
        public var worstDay: Double
        public var maxConsecutiveWins: Int
        public var maxConsecutiveLosses: Int
        public var marketChangePercent: Double
        public var tradeCount: Int
        public var bars: Int
        public var barsPerSecond: Double
    }

    public var summary: Summary
    public var bySymbol: [Group]
    public var byExitReason: [Group]

    public init(_ result: BacktestResult) {
        let trades = result.trades
        let equity = result.equity
        let start = equity.first?.time ?? Timestamp(seconds: 0)
        let end = equity.last?.time ?? start
        let finalBalance = result.finalBalance
        let years = Double(end - start) / (365.25 * 86_400)
        let growth = finalBalance / result.startingBalance
        let cagr = years > 0 && growth > 0 ? pow(growth, 1 / years) - 1 : 0

        // Drawdown on the equity curve, with where it began (the peak) and ended (the trough).
        var peak = result.startingBalance
        var peakTime = start
        var maxDrawdown = 0.0
        var drawdownStart = start
        var drawdownEnd = start
        for point in equity {
            if point.equity > peak {
                peak = point.equity
                peakTime = point.time
            }
            let drawdown = peak > 0 ? (peak - point.equity) / peak : 0
            if drawdown > maxDrawdown {
                maxDrawdown = drawdown
                drawdownStart = peakTime
                drawdownEnd = point.time
            }
        }

        // Daily equity: the last value of each UTC day.
        var daily = [(day: Int64, equity: Double)]()
        for point in equity {
            let day = point.time.seconds / 86_400
            if daily.last?.day == day { daily[daily.count - 1].equity = point.equity } else { daily.append((day, point.equity)) }
        }
        var returns = [Double]()
        var dayChanges = [Double]()
        var previous = result.startingBalance
        for day in daily {
            returns.append(previous > 0 ? day.equity / previous - 1 : 0)
            dayChanges.append(day.equity - previous)
            previous = day.equity
        }
        let mean = returns.isEmpty ? 0 : returns.reduce(0, +) / Double(returns.count)
        let variance = returns.isEmpty ? 0 : returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)
        let downside = returns.isEmpty ? 0 : (returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / Double(returns.count))
            .squareRoot()
        let annual = 365.0.squareRoot()

        let gains = trades.map(\.pnl).filter { $0 > 0 }.reduce(0, +)
        let lossesTotal = -trades.map(\.pnl).filter { $0 < 0 }.reduce(0, +)
        var streak = (wins: 0, losses: 0, maxWins: 0, maxLosses: 0)
        for trade in trades {
            if trade.pnl > 0 {
                streak.wins += 1
                streak.losses = 0
            } else if trade.pnl < 0 {
                streak.losses += 1
                streak.wins = 0
            }
            streak.maxWins = max(streak.maxWins, streak.wins)
            streak.maxLosses = max(streak.maxLosses, streak.losses)
        }
        let moves = result.marketMoves.values.map { $0.first > 0 ? $0.last / $0.first - 1 : 0 }

        summary = Summary(
            start: start.iso8601, end: end.iso8601, startingBalance: result.startingBalance,
            finalBalance: finalBalance, absoluteProfit: finalBalance - result.startingBalance,
            profitPercent: (growth - 1) * 100, cagr: cagr,
            sharpe: variance > 0 ? mean / variance.squareRoot() * annual : 0,
            sortino: downside > 0 ? mean / downside * annual : 0,
            calmar: maxDrawdown > 0 ? cagr / maxDrawdown : 0,
            profitFactor: lossesTotal > 0 ? gains / lossesTotal : (gains > 0 ? .infinity : 0),
            expectancy: trades.isEmpty ? 0 : trades.reduce(0) { $0 + $1.pnl } / Double(trades.count),
            maxDrawdown: maxDrawdown, maxDrawdownStart: drawdownStart.iso8601, maxDrawdownEnd: drawdownEnd.iso8601,
            bestTradePercent: trades.map(\.returnPercent).max() ?? 0,
            worstTradePercent: trades.map(\.returnPercent).min() ?? 0,
            bestDay: dayChanges.max() ?? 0, worstDay: dayChanges.min() ?? 0,
            maxConsecutiveWins: streak.maxWins, maxConsecutiveLosses: streak.maxLosses,
            marketChangePercent: moves.isEmpty ? 0 : moves.reduce(0, +) / Double(moves.count) * 100,
            tradeCount: trades.count, bars: result.bars, barsPerSecond: result.barsPerSecond)
        bySymbol = Self.groups(trades, by: \.symbol)
        byExitReason = Self.groups(trades, by: \.reason)
    }

    static func groups(_ trades: [BacktestTrade], by key: (BacktestTrade) -> String) -> [Group] {
        Dictionary(grouping: trades, by: key).map { name, group -> Group in
            let count = Double(group.count)
            let averageReturn: Double = group.reduce(0.0) { $0 + $1.returnPercent } / count
            let total: Double = group.reduce(0.0) { $0 + $1.pnl }
            let seconds: Double = group.reduce(0.0) { $0 + Double($1.exitTime - $1.entryTime) }
            return Group(name: name, trades: group.count, averageProfitPercent: averageReturn, totalProfit: total,
                         wins: group.filter { $0.pnl > 0 }.count, draws: group.filter { $0.pnl == 0 }.count,
                         losses: group.filter { $0.pnl < 0 }.count, averageDurationHours: seconds / count / 3600)
        }.sorted { $0.totalProfit > $1.totalProfit }
    }
}
