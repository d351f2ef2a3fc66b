import Foundation
import KestrelCore
import KestrelMarketData
import KestrelRuntime
import KestrelStorage
import Testing

/// Kills a running paper bot with SIGKILL at random moments, restarts it on the same journal each time, and checks
/// that nothing was lost or duplicated and that the books balance. The paper venue keeps its state in its own file
/// and misbehaves (pieces, duplicates, reordering, timeouts, errors before and after acting, refused stops, a stream
/// that drops), so a kill can fall between the venue's fill and the journal's record of it.
@Suite(.serialized) struct CrashRecoveryTests {
    static let kills = 12
    static let faults = "partial=0.3,duplicate=0.2,reorder=0.2,timeout=0.05,error-after=0.05,error-before=0.05,"
        + "reject-stop=0.05,drop=0.01"

    func start(_ db: String, seed: Int, extra: [String] = [], log: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = Kestrel.executable
        process.arguments = ["run", "--db", db, "--http", "off", "--speed", "20000",
                             "--paper-faults", "\(Self.faults),seed=\(seed)"]
            + extra
        process.standardOutput = FileHandle.nullDevice
        if let log, FileManager.default.createFile(atPath: log, contents: nil),
           let handle = FileHandle(forWritingAtPath: log) {
            process.standardError = handle
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    @Test func survivesRandomKills() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-kill-\(UUID()).sqlite").path
        var generator = SystemRandomNumberGenerator()
        var survived = 0
        var lastCounts: SQLiteJournal.Counts?
        for round in 0..<Self.kills {
            let process = try start(db, seed: round + 1)
            // Long enough, on a machine loaded by the other tests, for a run to start up and trade before most kills.
            Thread.sleep(forTimeInterval: Double.random(in: 0.6...2.6, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let counts = try checkJournal(db)
            if let lastCounts {
                // Nothing recorded before a kill disappears after it.
                #expect(counts.orders >= lastCounts.orders)
                #expect(counts.fills >= lastCounts.fills)
                #expect(counts.closedTrades >= lastCounts.closedTrades)
            }
            lastCounts = counts
            survived += 1
        }
        // A last run resumes, resolves what the kills left behind, and stops cleanly with engine, venue and journal
        // agreeing.
        let summaryPath = db + ".summary.json"
        let logPath = db + ".final.log"
        let final = try start(db, seed: 99, extra: ["--duration", "2s", "--summary-json", summaryPath], log: logPath)
        final.waitUntilExit()
        #expect(final.terminationStatus == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
            as? [String: Any]
        // What broke, as the run logged it, so that a failure here can be read without running it again.
        let broken = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains("Invariant broken") || $0.contains("reconciled") }
            .suffix(12).joined(separator: "\n")
        #expect(summary?["invariant_violations"] as? Int == 0, "\(broken)")
        try checkBooks(db)
        let journal = try SQLiteJournal(path: db)
        #expect(try journal.unresolvedIntents().isEmpty)
        let counts = try checkJournal(db)
        #expect(counts.fills > 0 && counts.closedTrades > 0)
        print("CrashRecoveryTests: survived \(survived) SIGKILLs; journal holds \(counts.orders) orders, "
            + "\(counts.fills) fills, \(counts.closedTrades) closed trades")
        #expect(survived == Self.kills)
    }

    /// What holds in the journal after any kill: every fill belongs to a recorded order and is recorded once.
    @discardableResult
    func checkJournal(_ db: String) throws -> SQLiteJournal.Counts {
        let journal = try SQLiteJournal(path: db)
        let counts = try journal.counts()
        let fills = try journal.fills()
        #expect(Set(fills.map(\.tradeID)).count == fills.count, "a fill recorded twice")
        let orders = try journal.orderSides()
        for fill in fills { #expect(orders[fill.orderID.rawValue] != nil, "fill \(fill.tradeID) has no order") }
        return counts
    }

    /// After a clean stop: the engine and the venue agree; every position has its stop on the venue; and the
    /// venue's wallet equals the starting balance plus the PnL, fees and funding of the fills the journal recorded.
    func checkBooks(_ db: String) throws {
        let journal = try SQLiteJournal(path: db)
        let counts = try journal.counts()
        guard let saved = try journal.loadState(),
              let exchange = try PaperVenueStore(path: db + ".paper.json").load()?.exchange else {
            Issue.record("no saved state")
            return
        }
        let engine = saved.engine
        #expect(abs(engine.cash - exchange.wallet) < 1e-6)
        #expect(Set(engine.positions.keys) == Set(exchange.positions.keys))
        for (symbol, position) in engine.positions {
            #expect(exchange.positions[symbol]?.lots == position.lots)
            #expect(exchange.positions[symbol]?.side == position.side)
            let protected = exchange.restingOrders.contains { $0.symbol == symbol && $0.reduceOnly }
            #expect(protected, "\(symbol) has no stop on the exchange")
        }
        // Replay the fills with one net position per symbol, as the exchange books them.
        let fills = try journal.fills()
        guard !fills.contains(where: \.isLiquidation) else { return }
        let multipliers = Dictionary(uniqueKeysWithValues: EmbeddedMarket.instruments.map {
            ($0.symbol, $0.contractMultiplier)
        })
        var net = [String: (lots: Int, entry: Double)]()
        var wallet = exchange.settings.startingBalance
        for fill in fills {
            let multiplier = multipliers[fill.symbol] ?? 1
            wallet -= fill.fee
            var held = net[fill.symbol] ?? (0, 0)
            let signed = fill.side == .buy ? fill.lots : -fill.lots
            if held.lots != 0, (held.lots > 0) != (signed > 0) {
                let closing = min(abs(signed), abs(held.lots))
                wallet += (held.lots > 0 ? 1 : -1) * (fill.price - held.entry) * Double(closing) * multiplier
                held.lots += held.lots > 0 ? -closing : closing
                let rest = abs(signed) - closing
                if rest > 0 { held = (signed > 0 ? rest : -rest, fill.price) }
            } else {
                let total = abs(held.lots) + abs(signed)
                held.entry = (held.entry * Double(abs(held.lots)) + fill.price * Double(abs(signed))) / Double(total)
                held.lots += signed
            }
            net[fill.symbol] = held
        }
        wallet += counts.funding
        #expect(abs(wallet - exchange.wallet) < 1e-6 * max(1, abs(wallet)), "wallet \(exchange.wallet) vs fills \(wallet)")
        for (symbol, held) in net where held.lots != 0 {
            #expect(exchange.positions[symbol]?.lots == abs(held.lots))
        }
    }
}
