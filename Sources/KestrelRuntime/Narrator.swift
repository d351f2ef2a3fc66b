import KestrelCore
import Logging
import Synchronization

/// Turns engine notes into the log lines a trader reads, in the shape of the original bot's logs.
final class Narrator: Sendable {
    private let positionLogIntervalSeconds: Int64
    private let lastPositionLog = Mutex<Timestamp?>(nil)

    init(positionLogIntervalSeconds: Int64) {
        self.positionLogIntervalSeconds = positionLogIntervalSeconds
    }

    func line(for note: EngineNote, at time: Timestamp, engine: TradingEngine) -> (Logger.Level, String)? {
        switch note {
        case .processing(let count, let age, let sequence):
            return count == 0 ? (.debug, "📊 Scan #\(sequence): nothing to trade")
                : (.info, "📊 Processing \(count) opportunities from background scanner (age: \(age)s)")
        case .staleSnapshot(let age, let limit):
            return (.warning, "⏳ Snapshot is \(age)s old (limit \(limit)s): not trading from it")
        case .evaluating(let o):
            return (.info, "🔍 Evaluating opportunity: \(o.symbol) - Score: \(NumberText.fixed(o.score, places: 1)), Signal: "
                + "\(o.signal.rawValue), Confidence: \(NumberText.fixed(o.confidence, places: 2))")
        case .skipped(let symbol, let reason):
            return (.info, "   ⏭️  \(symbol) skipped: \(reason)")
        case .entrySubmitted(let request, let price, let stopDistance):
            return (.debug, "📤 \(request.symbol) \(request.side.rawValue) \(request.lots) lots at market (~\(price)), "
                + "\(request.leverage)x, stop \(NumberText.fixed(stopDistance * 100, places: 2))% away")
        case .opened(let p):
            return (.notice, "✅ Trade executed for \(p.symbol): \(p.side.rawValue.uppercased()) \(p.lots) lots @ "
                + "\(p.entryPrice), stop \(p.stopPrice), target \(p.takeProfitPrice), \(p.leverage)x")
        case .stopMoved(let symbol, let from, let to, let kind):
            return (.info, "🛡️  \(symbol) stop \(from) -> \(to) (\(kind.rawValue))")
        case .partialExit(let symbol, let lots, let price, let pnl):
            return (.notice, "💰 \(symbol) partial exit: \(lots) lots @ \(price), PnL \(signed(pnl))")
        case .closed(let t):
            let hours = Double(t.closedAt - t.openedAt) / 3600
            return (.notice, "🏁 Closed \(t.symbol) \(t.side.rawValue.uppercased()) @ \(NumberText.fixed(t.exitPrice, places: 6)): "
                + "PnL \(signed(t.pnl)) (\(t.reason.rawValue), held \(NumberText.fixed(hours, places: 1))h)")
        case .orderRejected(let request, let rejection):
            if rejection.isPositionAlreadyGone(for: request) {
                return (.debug, "Order \(request.id) for \(request.symbol) not needed: the position is already closed")
            }
            return (.warning, "⚠️  Order \(request.id) for \(request.symbol) rejected: \(rejection)")
        case .duplicateFill(let fill):
            return (.info, "🔁 \(fill.symbol) fill \(fill.tradeID) of order \(fill.orderID) reported again: counted once")
        case .unprotected(let symbol, let seconds):
            return (.error, "🚨 \(symbol) has had no stop on the exchange for \(seconds)s: closing it at market")
        case .monitor(let positions, let equity):
            // Position updates at most once per interval of engine time: a replay ticks hundreds of times a second.
            let due = lastPositionLog.withLock { last -> Bool in
                guard last.map({ time - $0 >= positionLogIntervalSeconds }) ?? true else { return false }
                last = time
                return true
            }
            guard due else { return nil }
            let details = engine.positions.values.sorted { $0.symbol < $1.symbol }.map { p -> String in
                let price = engine.lastPrices[p.symbol] ?? p.entryPrice
                return "\(p.symbol) \(p.side.rawValue) \(p.lots) @ \(p.entryPrice) now \(price) "
                    + "uPnL \(signed(p.unrealizedPnL(at: price))) stop \(p.stopPrice)"
            }
            return (.info, "⚡ [\(time)] \(positions) open, equity \(NumberText.fixed(equity, places: 2)): \(details.joined(separator: "; "))")
        }
    }
}

func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + NumberText.fixed(value, places: 2) }
