import Foundation
import KestrelCore
import TextTable

/// The backtest report for a terminal.
enum BacktestText {
    static func render(_ report: BacktestReport, strategy: String) -> String {
        let s = report.summary
        func groupTable(_ title: String, _ groups: [BacktestReport.Group]) -> String {
            let table = TextTable<BacktestReport.Group> {
                [Column(title: title, value: $0.name), Column(title: "Trades", value: $0.trades, align: .right),
                 Column(title: "Avg profit %", value: String(format: "%.2f", $0.averageProfitPercent), align: .right),
                 Column(title: "Tot profit", value: String(format: "%.2f", $0.totalProfit), align: .right),
                 Column(title: "Win Draw Loss", value: "\($0.wins) \($0.draws) \($0.losses)", align: .right),
                 Column(title: "Avg duration", value: String(format: "%.1f h", $0.averageDurationHours), align: .right)]
            }
            return table.string(for: groups) ?? ""
        }
        let rows: [(String, String)] = [
            ("Strategy", strategy),
            ("Backtesting from", s.start), ("Backtesting to", s.end),
            ("Starting balance", String(format: "%.2f", s.startingBalance)),
            ("Final balance", String(format: "%.2f", s.finalBalance)),
            ("Absolute profit", String(format: "%+.2f", s.absoluteProfit)),
            ("Total profit %", String(format: "%+.2f%%", s.profitPercent)),
            ("CAGR %", String(format: "%+.2f%%", s.cagr * 100)),
            ("Sharpe", String(format: "%.2f", s.sharpe)), ("Sortino", String(format: "%.2f", s.sortino)),
            ("Calmar", String(format: "%.2f", s.calmar)), ("Profit factor", String(format: "%.2f", s.profitFactor)),
            ("Expectancy (per trade)", String(format: "%+.2f", s.expectancy)),
            ("Trades", "\(s.tradeCount)"),
            ("Best trade", String(format: "%+.2f%%", s.bestTradePercent)),
            ("Worst trade", String(format: "%+.2f%%", s.worstTradePercent)),
            ("Best day", String(format: "%+.2f", s.bestDay)), ("Worst day", String(format: "%+.2f", s.worstDay)),
            ("Max consecutive wins / losses", "\(s.maxConsecutiveWins) / \(s.maxConsecutiveLosses)"),
            ("Max drawdown", String(format: "%.2f%%", s.maxDrawdown * 100)),
            ("Drawdown start / end", "\(s.maxDrawdownStart) / \(s.maxDrawdownEnd)"),
            ("Market change", String(format: "%+.2f%%", s.marketChangePercent)),
            ("Bars", "\(s.bars)"), ("Bars per second", String(format: "%.0f", s.barsPerSecond)),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        let summary = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n")
        return """
            PER-SYMBOL
            \(groupTable("Symbol", report.bySymbol))
            EXIT REASONS
            \(groupTable("Exit reason", report.byExitReason))
            SUMMARY
            \(summary)
            """
    }
}

/// The backtest's files: the trade list as CSV, everything as JSON, and a self-contained HTML page.
enum BacktestFiles {
    static func tradesCSV(_ result: BacktestResult) -> String {
        var text = "entry_time,exit_time,side,entry_price,exit_price,return_pct,symbol,lots,pnl,fees,reason\n"
        for t in result.trades {
            text += "\(t.entryTime),\(t.exitTime),\(t.side.rawValue),\(t.entryPrice),\(t.exitPrice),\(t.returnPercent),"
                + "\(t.symbol),\(t.lots),\(t.pnl),\(t.fees),\(t.reason)\n"
        }
        return text
    }

    struct Document: Encodable {
        struct Trade: Encodable {
            var symbol: String
            var side: String
            var lots: Int
            var entry_time: String
            var exit_time: String
            var entry_price: Double
            var exit_price: Double
            var return_pct: Double
            var pnl: Double
            var fees: Double
            var reason: String
        }

        var strategy: String
        var bars: Int
        var bars_per_second: Double
        var trade_count: Int
        var orders_sent: Int
        var stops_replaced: Int
        var starting_balance: Double
        var final_balance: Double
        var max_drawdown: Double
        var summary: BacktestReport.Summary
        var per_symbol: [BacktestReport.Group]
        var exit_reasons: [BacktestReport.Group]
        var trades: [Trade]
        var peak_memory_mb: Double?
    }

    static func json(_ result: BacktestResult, report: BacktestReport, strategy: String) throws -> String {
        let s = report.summary
        let document = Document(
            strategy: strategy, bars: result.bars, bars_per_second: result.barsPerSecond,
            trade_count: result.trades.count, orders_sent: result.ordersSent, stops_replaced: result.stopsReplaced,
            starting_balance: result.startingBalance,
            final_balance: result.finalBalance, max_drawdown: s.maxDrawdown, summary: s, per_symbol: report.bySymbol,
            exit_reasons: report.byExitReason,
            trades: result.trades.map {
                Document.Trade(symbol: $0.symbol, side: $0.side.rawValue, lots: $0.lots, entry_time: $0.entryTime.iso8601,
                               exit_time: $0.exitTime.iso8601, entry_price: $0.entryPrice, exit_price: $0.exitPrice,
                               return_pct: $0.returnPercent, pnl: $0.pnl, fees: $0.fees, reason: $0.reason)
            },
            peak_memory_mb: ProcessMemory.peakMegabytes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// Plain SVG charts in one HTML file: no script, no network.
    static func html(_ result: BacktestResult, report: BacktestReport, strategy: String) -> String {
        let width = 1000.0
        let height = 260.0
        let points = downsample(result.equity.map(\.equity), to: 1500)
        func path(_ values: [Double], low: Double, high: Double) -> String {
            guard values.count > 1, high > low else { return "" }
            return values.enumerated().map { index, value in
                let x = Double(index) / Double(values.count - 1) * width
                let y = height - (value - low) / (high - low) * height
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
        }
        var peak = -Double.infinity
        let drawdowns = points.map { value -> Double in
            peak = max(peak, value)
            return peak > 0 ? -(peak - value) / peak * 100 : 0
        }
        let pnls = result.trades.map(\.pnl)
        let maxPnL = max(pnls.map(abs).max() ?? 1, 1e-9)
        let barWidth = pnls.isEmpty ? 0 : width / Double(pnls.count)
        let bars = pnls.enumerated().map { index, pnl in
            let h = abs(pnl) / maxPnL * (height / 2)
            let y = pnl >= 0 ? height / 2 - h : height / 2
            return String(format: "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%@\"/>",
                          Double(index) * barWidth, y, max(barWidth - 0.2, 0.2), h, pnl >= 0 ? "#2a9d55" : "#d1495b")
        }.joined()
        let s = report.summary
        let lowEquity = points.min() ?? 0
        let highEquity = points.max() ?? 1
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Kestrel backtest: \(strategy)</title>
            <style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}svg{background:#fafafa;border:1px solid #ddd}
            td{padding:2px 12px}h2{margin-top:1.5em}</style></head><body>
            <h1>Kestrel backtest: \(strategy)</h1>
            <p>\(s.start) to \(s.end): \(String(format: "%.2f", s.startingBalance)) to \(String(format: "%.2f", s.finalBalance))
            (\(String(format: "%+.2f", s.profitPercent))%), \(s.tradeCount) trades, max drawdown \(String(format: "%.2f", s.maxDrawdown * 100))%,
            Sharpe \(String(format: "%.2f", s.sharpe)), \(String(format: "%.0f", s.barsPerSecond)) bars per second.</p>
            <h2>Equity</h2>
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">
            <polyline fill="none" stroke="#1d3557" stroke-width="1.5" points="\(path(points, low: lowEquity, high: highEquity))"/>
            </svg><p>from \(String(format: "%.2f", lowEquity)) to \(String(format: "%.2f", highEquity))</p>
            <h2>Drawdown</h2>
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">
            <polyline fill="none" stroke="#d1495b" stroke-width="1.5" points="\(path(drawdowns, low: drawdowns.min() ?? -1, high: 0))"/>
            </svg><p>deepest \(String(format: "%.2f", (drawdowns.min() ?? 0)))%</p>
            <h2>Trades (PnL, in order)</h2>
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">\(bars)
            <line x1="0" y1="\(height / 2)" x2="\(width)" y2="\(height / 2)" stroke="#999"/></svg>
            <h2>Summary</h2><table>
            \(summaryRows(s))
            </table></body></html>
            """
    }

    private static func summaryRows(_ s: BacktestReport.Summary) -> String {
        let rows: [(String, String)] = [
            ("CAGR", String(format: "%.2f%%", s.cagr * 100)), ("Sortino", String(format: "%.2f", s.sortino)),
            ("Calmar", String(format: "%.2f", s.calmar)), ("Profit factor", String(format: "%.2f", s.profitFactor)),
            ("Expectancy", String(format: "%.2f", s.expectancy)),
            ("Best / worst trade", String(format: "%.2f%% / %.2f%%", s.bestTradePercent, s.worstTradePercent)),
            ("Max consecutive wins / losses", "\(s.maxConsecutiveWins) / \(s.maxConsecutiveLosses)"),
            ("Drawdown start / end", "\(s.maxDrawdownStart) / \(s.maxDrawdownEnd)"),
            ("Market change", String(format: "%.2f%%", s.marketChangePercent)),
        ]
        return rows.map { "<tr><td>\($0.0)</td><td>\($0.1)</td></tr>" }.joined(separator: "\n")
    }

    static func downsample(_ values: [Double], to count: Int) -> [Double] {
        guard values.count > count, count > 1 else { return values }
        return (0..<count).map { values[$0 * (values.count - 1) / (count - 1)] }
    }
}
