import Foundation
import KestrelCore
import KestrelRuntime

/// The summary printed at the end of `kestrel run`.
enum RunReport {
    static func text(_ s: RunSummary, engine: TradingEngine) -> String {
        var lines = [
            "",
            "Run summary (market \(s.market_from) to \(s.market_to))",
            String(format: "  equity        %.2f -> %.2f (realised PnL %+.2f)", s.starting_balance, s.final_equity,
                   s.realized_pnl),
            "  trades        \(s.trades_opened) opened, \(s.trades_closed) closed, "
                + String(format: "win rate %.0f%%, max drawdown %.2f%%", s.win_rate * 100, s.max_drawdown * 100),
            "  open          \(s.open_positions) position\(s.open_positions == 1 ? "" : "s") left open",
            String(format: "  scans         %d (p50 %.2f ms, p99 %.2f ms)", s.scans, s.scan_duration_ms.p50,
                   s.scan_duration_ms.p99),
            String(format: "  signal age at order: p50 %.3f ms, p99 %.3f ms, max %.3f ms", s.opportunity_age_ms.p50,
                   s.opportunity_age_ms.p99, s.opportunity_age_ms.max ?? 0),
            String(format: "  snapshot age at order: p50 %.0f s, max %.0f s; largest monitor gap %.0f s",
                   s.snapshot_age_s.p50, s.snapshot_age_s.max, s.monitor_max_gap_s),
            "  venue         \(s.orders_submitted) orders, \(s.stops_replaced) stop moves; "
                + "\(s.orders_outcome_unknown) outcomes unknown (\(s.orders_resolved_by_lookup) found by lookup, "
                + "\(s.orders_resent) sent again); \(s.fills_duplicated_ignored) fills reported twice",
            "  protection    longest without an acknowledged stop \(Int(s.unprotected_max_s)) s; "
                + "\(s.closed_unprotected) closed for want of one; \(s.reconciliations) reconciliations; "
                + "\(s.invariant_violations) broken invariants",
        ]
        let trades = engine.statistics.closedTrades.suffix(10)
        if !trades.isEmpty {
            lines.append("  last trades:")
            for t in trades {
                lines.append(String(format: "    %@ %@ %@ %5@ @ %.6g -> %.6g  %+.2f  %@", t.closedAt.iso8601, t.symbol,
                                    t.side.rawValue, "\(t.lots)", t.entryPrice, t.exitPrice, t.pnl, t.reason.rawValue))
            }
        }
        return lines.joined(separator: "\n")
    }
}
