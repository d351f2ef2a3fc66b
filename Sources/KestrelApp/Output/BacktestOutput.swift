import Foundation
import KestrelCore
import KestrelWeb
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

    /// One self-contained HTML page: the figures, the per-symbol and exit-reason tables, and charts drawn by the
    /// dashboard's chart component (equity, drawdown, PnL per day, and each symbol's price with the entries and
    /// exits). Nothing is fetched: it opens from a file, offline.
    ///
    /// `prices` are each symbol's candles over the backtest; the page carries their closes thinned to at most
    /// `pricePoints` per symbol, and every trade's entry and exit.
    static func html(_ result: BacktestResult, report: BacktestReport, strategy: String,
                     prices: [String: [Candle]], pricePoints: Int = 6_000) throws -> String {
        let s = report.summary
        let equityStep = max(1, result.equity.count / 2_000)
        let equity = result.equity.enumerated().compactMap { index, point in
            index % equityStep == 0 || index == result.equity.count - 1
                ? [Double(point.time.seconds), point.equity] : nil
        }
        var daily = [Int64: Double]()
        for trade in result.trades { daily[trade.exitTime.seconds / 86_400 * 86_400, default: 0] += trade.pnl }
        let tradesBySymbol = Dictionary(grouping: result.trades, by: \.symbol)
        let symbols = prices.keys.filter { !(prices[$0]?.isEmpty ?? true) }.sorted()
        let charts = symbols.map { symbol -> ReportData.Prices in
            let candles = prices[symbol] ?? []
            let step = max(1, candles.count / pricePoints)
            let points = candles.enumerated().compactMap { index, candle in
                index % step == 0 || index == candles.count - 1 ? [Double(candle.time.seconds), candle.close] : nil
            }
            let marks = (tradesBySymbol[symbol] ?? []).flatMap { trade -> [[Double]] in
                let side: Double = trade.side == .long ? 0 : 1
                return [[Double(trade.entryTime.seconds), trade.entryPrice, 0, side, 0],
                        [Double(trade.exitTime.seconds), trade.exitPrice, 1, side, trade.pnl]]
            }
            return ReportData.Prices(symbol: symbol, points: points, marks: marks)
        }
        let data = ReportData(equity: equity, daily_pnl: daily.sorted { $0.key < $1.key }.map { [Double($0.key), $0.value] },
                              prices: charts)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "0", negativeInfinity: "0",
                                                                      nan: "0")
        let title = "Kestrel backtest: \(strategy)"
        func figure(_ name: String, _ value: String, tone: Double = 0) -> String {
            let cls = tone > 0 ? " class=\"up\"" : tone < 0 ? " class=\"down\"" : ""
            return "<div><span>\(name)</span><b\(cls)>\(WebAssets.escapeHTML(value))</b></div>"
        }
        let figures = [
            figure("Final balance", String(format: "%.2f", s.finalBalance)),
            figure("Profit", String(format: "%+.2f%%", s.profitPercent), tone: s.profitPercent),
            figure("Trades", "\(s.tradeCount)"),
            figure("Max drawdown", String(format: "%.2f%%", s.maxDrawdown * 100)),
            figure("Sharpe", String(format: "%.2f", s.sharpe)),
            figure("Profit factor", String(format: "%.2f", s.profitFactor)),
            figure("Expectancy", String(format: "%+.2f", s.expectancy), tone: s.expectancy),
            figure("Market change", String(format: "%+.2f%%", s.marketChangePercent)),
        ].joined()
        let priceSections = symbols.map { symbol -> String in
            let id = WebAssets.escapeHTML(symbol)
            let count = tradesBySymbol[symbol]?.count ?? 0
            return """
                <section><h2>\(id) <span class="muted">\(count) trades</span></h2>
                <div class="range" data-symbol="\(id)">\(rangeButtons)</div>
                <div id="price-\(id)"></div></section>
                """
        }.joined(separator: "\n")
        let body = """
            <h1>\(WebAssets.escapeHTML(title))</h1>
            <p class="muted">\(WebAssets.escapeHTML(s.start)) to \(WebAssets.escapeHTML(s.end)), starting from \(String(format: "%.2f", s.startingBalance)); \(s.bars) bars at \(String(format: "%.0f", s.barsPerSecond)) per second.</p>
            <div class="figures">\(figures)</div>
            <section><h2>Equity</h2><div id="equity-chart"></div><div id="drawdown-chart"></div></section>
            <section><h2>PnL per day</h2><div id="daily-chart"></div></section>
            <div class="tables">
            <section><h2>Per symbol</h2>\(groupTable("Symbol", report.bySymbol))</section>
            <section><h2>Exit reasons</h2>\(groupTable("Exit reason", report.byExitReason))</section>
            </div>
            <h2>Prices, entries (triangles) and exits (circles: green a profit, red a loss)</h2>
            \(priceSections)
            <section><h2>Summary</h2><table>
            \(summaryRows(s))
            </table></section>
            """
        return try WebAssets.reportPage(title: title, body: body, data: try encoder.encode(data),
                                        script: try WebAssets.backtestReportScript())
    }

    /// The report's data for its charts: times in seconds since 1970 UTC; a mark is [time, price, 0 entry or 1 exit,
    /// 0 long or 1 short, PnL].
    private struct ReportData: Encodable {
        struct Prices: Encodable {
            var symbol: String
            var points: [[Double]]
            var marks: [[Double]]
        }

        var equity: [[Double]]
        var daily_pnl: [[Double]]
        var prices: [Prices]
    }

    private static let rangeButtons = [("7 days", 7), ("30 days", 30), ("90 days", 90), ("All", 0)].map { name, days in
        "<button data-days=\"\(days)\" aria-pressed=\"\(days == 30)\">\(name)</button>"
    }.joined()

    private static func groupTable(_ title: String, _ groups: [BacktestReport.Group]) -> String {
        let rows = groups.map { group in
            let tone = group.totalProfit >= 0 ? "up" : "down"
            return "<tr><td>\(WebAssets.escapeHTML(group.name))</td><td>\(group.trades)</td>"
                + "<td>\(String(format: "%.2f", group.averageProfitPercent))</td>"
                + "<td class=\"\(tone)\">\(String(format: "%.2f", group.totalProfit))</td>"
                + "<td>\(group.wins) / \(group.draws) / \(group.losses)</td>"
                + "<td>\(String(format: "%.1f h", group.averageDurationHours))</td></tr>"
        }.joined()
        return "<table><thead><tr><th>\(title)</th><th>Trades</th><th>Avg profit %</th><th>Total profit</th>"
            + "<th>Win / draw / loss</th><th>Avg duration</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    private static func summaryRows(_ s: BacktestReport.Summary) -> String {
        let rows: [(String, String)] = [
            ("CAGR", String(format: "%.2f%%", s.cagr * 100)), ("Sortino", String(format: "%.2f", s.sortino)),
            ("Calmar", String(format: "%.2f", s.calmar)), ("Profit factor", String(format: "%.2f", s.profitFactor)),
            ("Expectancy", String(format: "%.2f", s.expectancy)),
            ("Best / worst trade", String(format: "%.2f%% / %.2f%%", s.bestTradePercent, s.worstTradePercent)),
            ("Best / worst day", String(format: "%.2f / %.2f", s.bestDay, s.worstDay)),
            ("Max consecutive wins / losses", "\(s.maxConsecutiveWins) / \(s.maxConsecutiveLosses)"),
            ("Drawdown start / end", "\(s.maxDrawdownStart) / \(s.maxDrawdownEnd)"),
            ("Market change", String(format: "%.2f%%", s.marketChangePercent)),
        ]
        return rows.map { "<tr><td>\($0.0)</td><td>\(WebAssets.escapeHTML($0.1))</td></tr>" }.joined(separator: "\n")
    }
}
