import Foundation
import KestrelCore
import KestrelStorage
import Testing

/// The running bot's journal writes each intent to the log beside it, moves it into the journal with the next
/// commit, and after a crash moves in what the log still holds, skipping a line the crash cut short.
@Suite struct IntentLogTests {
    let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!

    func order(_ id: String, kind: OrderKind = .market, purpose: OrderPurpose = .entry) -> OrderRequest {
        OrderRequest(id: ClientOrderID(id), symbol: "XBTUSDTM", side: .buy, lots: 10, kind: kind, reduceOnly: false,
                     leverage: 5, purpose: purpose)
    }

    func logText(_ path: String) -> String { (try? String(contentsOfFile: path + "-intents", encoding: .utf8)) ?? "" }

    @Test func anIntentIsInTheLogAtOnceAndInTheJournalAfterTheNextCommit() throws {
        let path = temporaryPath()
        let journal = try SQLiteJournal(path: path, logsIntents: true)
        try journal.recordIntent(order("kst-a", kind: .stopMarket(trigger: 95.5), purpose: .stopLoss), at: t0)
        #expect(logText(path).hasPrefix("kst-a\tXBTUSDTM\tbuy\t10\tstop_market\t95.5\t0\t5\tstop_loss\t"))
        // Another reader does not see it yet: it is in no transaction.
        #expect(try SQLiteJournal(path: path).counts().orders == 0)
        var entry = JournalEntry(time: t0 + 1)
        entry.outcomes = [.accepted(ClientOrderID("kst-a"))]
        try journal.commit(entry)
        let reader = try SQLiteJournal(path: path)
        let open = try reader.openOrders()
        #expect(open.map(\.clientOrderID) == ["kst-a"])
        #expect(open.first?.state == "open")
        // All moved in: the log is empty again.
        #expect(logText(path).isEmpty)
    }

    @Test func intentsACrashLeftInTheLogAreMovedInAtTheNextOpen() throws {
        let path = temporaryPath()
        do {
            let journal = try SQLiteJournal(path: path, logsIntents: true)
            try journal.recordIntent(order("kst-1"), at: t0)
            try journal.recordIntent(order("kst-2"), at: t0)
            // The process dies here: no commit.
        }
        // And a third intent was being written when it died.
        let handle = try #require(FileHandle(forWritingAtPath: path + "-intents"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("kst-3\tXBTUSDTM\tbu".utf8))
        try handle.close()

        let reopened = try SQLiteJournal(path: path, logsIntents: true)
        #expect(try reopened.unresolvedIntents() == [ClientOrderID("kst-1"), ClientOrderID("kst-2")])
        #expect(logText(path).isEmpty)
        // Opened again, nothing is moved twice.
        #expect(try SQLiteJournal(path: path, logsIntents: true).counts().orders == 2)
    }

    @Test func readsOfTheOrdersIncludeIntentsNotCommittedYet() throws {
        let journal = try SQLiteJournal(path: temporaryPath(), logsIntents: true)
        let run = RunID(startedAt: t0, entropy: 3)
        try journal.recordIntent(order(ClientOrderID(run: run, number: 12, role: .entry, symbol: "XBTUSDTM").rawValue),
                                 at: t0)
        #expect(try journal.highestOrderNumber(run: run) == 12)
        #expect(try journal.unresolvedIntentOrders().map(\.1) == ["XBTUSDTM"])
    }
}
