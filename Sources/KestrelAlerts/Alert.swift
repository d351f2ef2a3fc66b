import KestrelCore
public import KestrelRuntime

/// One message for the trader: a line of text (Telegram) and its kind and fields (the webhook's JSON).
public struct Alert: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case tradeOpened = "trade_opened"
        case tradeClosed = "trade_closed"
        case stopHit = "stop_hit"
        case dailySummary = "daily_summary"
        case warning
        case control
    }

    public var kind: Kind
    public var text: String
    public var fields: [String: String]

    public init(kind: Kind, text: String, fields: [String: String] = [:]) {
        self.kind = kind
        self.text = text
        self.fields = fields
    }

    /// The alert a desk event is worth, if any (fills and scans are not: a trader wants trades, not their pieces).
    public static func of(_ event: DeskEvent, mode: String) -> Alert? {
        let tag = mode == "live" ? "" : "[\(mode)] "
        switch event {
        case .opened(let symbol, let side, let lots, let price, let stop, let time):
            return Alert(kind: .tradeOpened,
                         text: "\(tag)📈 Opened \(side.rawValue) \(symbol): \(lots) lots at \(NumberText.compact(price)), stop \(NumberText.compact(stop))",
                         fields: ["symbol": symbol, "side": side.rawValue, "lots": "\(lots)", "price": "\(price)",
                                  "stop": "\(stop)", "time": time.iso8601])
        case .closed(let trade):
            let stopped = [ExitReason.stopLoss, .trailingStop, .breakEven].contains(trade.reason)
            let mark = trade.pnl >= 0 ? "✅" : "❌"
            let pnl = (trade.pnl >= 0 ? "+" : "") + NumberText.compact(trade.pnl)
            return Alert(kind: stopped ? .stopHit : .tradeClosed,
                         text: "\(tag)\(mark) \(stopped ? "Stop hit" : "Closed") \(trade.side.rawValue) \(trade.symbol): PnL \(pnl) (\(trade.reason.rawValue)), \(NumberText.compact(trade.entryPrice)) → \(NumberText.compact(trade.exitPrice))",
                         fields: ["symbol": trade.symbol, "side": trade.side.rawValue, "pnl": "\(trade.pnl)",
                                  "reason": trade.reason.rawValue, "entry_price": "\(trade.entryPrice)",
                                  "exit_price": "\(trade.exitPrice)", "closed_at": trade.closedAt.iso8601])
        case .warning(let message):
            return Alert(kind: .warning, text: "\(tag)⚠️ \(message)", fields: ["message": message])
        case .control(let action, let source, let message):
            return Alert(kind: .control, text: "\(tag)🎛️ \(action) from \(source): \(message)",
                         fields: ["action": action, "source": source, "message": message])
        case .fill, .stopMoved, .scan:
            return nil
        }
    }
}
