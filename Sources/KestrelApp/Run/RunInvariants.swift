import KestrelCore
import KestrelRuntime
import KestrelStorage
import Logging

/// What must hold at the end of a run, however the venue behaved: checked after the final reconciliation, each
/// broken one logged and counted (`invariant_violations` in the summary).
enum RunInvariants {
    struct Violation: CustomStringConvertible {
        var description: String
    }

    /// `lateness` is how late, in engine seconds, the engine may act on a grace that ran out: a monitor interval plus
    /// the run's own message passing, which a replay multiplies by its speed.
    static func check(desk: TradingDesk, venue: any Venue, journal: SQLiteJournal, settings: EngineSettings,
                      lateness: Int64, logger: Logger) async throws -> [Violation] {
        let engine = await desk.engine
        let snapshot: VenueSnapshot
        do {
            snapshot = try await venue.snapshot()
        } catch {
            logger.warning("🔍 The final checks could not read the venue: \(error)")
            return []
        }
        var violations = [Violation]()
        // The engine holds what the venue holds, besides positions that are not Kestrel's (on a live account, ones
        // the user opened by hand: no fill of Kestrel's explains them, and reconciliation leaves them alone).
        let kestrelFilled = Set(snapshot.recentFills.filter { TradingEngine.isOwn($0) }.map(\.symbol))
        for symbol in Set(engine.positions.keys).union(snapshot.positions.keys).sorted() {
            let mine = engine.positions[symbol], theirs = snapshot.positions[symbol]
            if mine == nil, theirs != nil, !kestrelFilled.contains(symbol) { continue }
            if mine?.side != theirs?.side || mine?.lots != theirs?.lots {
                violations.append(Violation(description: "\(symbol): the engine holds "
                    + "\(mine.map { "\($0.side.rawValue) \($0.lots)" } ?? "nothing"), the venue "
                    + "\(theirs.map { "\($0.side.rawValue) \($0.lots)" } ?? "nothing")"))
            }
        }
        // Its cash is the venue's wallet.
        if let wallet = snapshot.wallet, abs(wallet - engine.cash) > 1e-6 * max(1, abs(wallet)) {
            violations.append(Violation(description: "cash \(engine.cash) is not the venue's wallet \(wallet)"))
        }
        // Every fill of Kestrel's the venue made was counted once: each is in the journal, which keeps a trade id once.
        let recorded = Set(try journal.fills().map(\.tradeID))
        let missing = snapshot.recentFills.filter { TradingEngine.isOwn($0) && !recorded.contains($0.tradeID) }
        if !missing.isEmpty {
            violations.append(Violation(description: "\(missing.count) of the venue's fills are not in the journal "
                + "(first: \(missing[0].tradeID) of \(missing[0].orderID))"))
        }
        // Every client order id on the venue stands for one intent in the journal.
        let intents = try journal.orderSides()
        for order in snapshot.openOrders where order.id.isKestrels {
            guard let intent = intents[order.id.rawValue] else {
                violations.append(Violation(description: "order \(order.id) rests on the venue with no intent"))
                continue
            }
            if intent.symbol != order.request.symbol || intent.side != order.request.side.rawValue
                || intent.lots != order.request.lots {
                violations.append(Violation(description: "order \(order.id) on the venue is not the intent recorded "
                    + "under its id"))
            }
        }
        // Every position is protected on the venue, its stop covering all of it.
        for position in engine.positions.values where position.exitOrderID == nil {
            let symbol = position.symbol
            let stop = snapshot.openOrders.first { $0.id == position.stopOrderID }
            if stop == nil || (stop?.request.lots ?? 0) < position.lots {
                violations.append(Violation(description: "\(symbol) has no stop on the venue for its \(position.lots) lots"))
            }
        }
        // And no position went unprotected longer than the grace, give or take the lateness allowed.
        if engine.statistics.maxUnprotectedSeconds > settings.stopGraceSeconds + lateness {
            violations.append(Violation(description: "a position went \(engine.statistics.maxUnprotectedSeconds) s "
                + "without an acknowledged stop (grace \(settings.stopGraceSeconds) s)"))
        }
        for violation in violations { logger.error("🚨 Invariant broken: \(violation)") }
        if violations.isEmpty { logger.notice("🔍 Final checks: engine, venue and journal agree") }
        return violations
    }
}
