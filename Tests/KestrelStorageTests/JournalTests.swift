import Foundation
import KestrelCore
import KestrelStorage
import Testing

func temporaryPath(_ name: String = "journal.sqlite") -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kestrel-storage-\(UUID())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

@Suite struct JournalTests {
    let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!
    let instrument = Instrument(symbol: "BTCUSD", base: "BTC", quote: "USD", contractMultiplier: 0.001, tickSize: 0.1,
                                maxLeverage: 100)

    func order(_ id: String) -> OrderRequest {
        OrderRequest(id: ClientOrderID(id), symbol: "BTCUSD", side: .buy, lots: 10, kind: .market, reduceOnly: false,
                     leverage: 5, purpose: .entry)
    }

    @Test func durabilityIsWhatSQLiteIsSetTo() throws {
        #expect(try SQLiteJournal(path: temporaryPath()).effectiveDurability() == .normal)
        #expect(try SQLiteJournal(path: temporaryPath(), durability: .full).effectiveDurability() == .full)
    }

    @Test func intentsFillsAndStateRoundTrip() throws {
        let path = temporaryPath()
        let journal = try SQLiteJournal(path: path)
        #expect(try journal.loadState() == nil)
        try journal.recordIntent(order("a"), at: t0)
        try journal.recordIntent(order("b"), at: t0)
        #expect(try journal.unresolvedIntents() == [ClientOrderID("a"), ClientOrderID("b")])

        var exchange = PaperExchange(instruments: [instrument])
        _ = exchange.updatePrice("BTCUSD", 10_000, at: t0)
        let events = try exchange.submit(order("a"), at: t0).get()
        var entry = JournalEntry(time: t0)
        entry.outcomes = [.accepted(ClientOrderID("a"))]
        entry.fills = events.compactMap { if case .fill(let fill) = $0 { fill } else { nil } }
        entry.exchange = exchange
        let engine = TradingEngine(settings: EngineSettings(), instruments: [instrument], startingCash: exchange.wallet,
                                   revalidator: NoSignals(), startTime: t0, runID: RunID(startedAt: t0, entropy: 1))
        entry.engine = engine.state
        entry.equity = engine.equity
        try journal.commit(entry)

        // A second handle on the same file sees exactly what was committed.
        let reopened = try SQLiteJournal(path: path)
        let saved = try #require(try reopened.loadState())
        #expect(saved.exchange?.wallet == exchange.wallet)
        #expect(saved.exchange?.positions == exchange.positions)
        #expect(saved.engine == engine.state)
        #expect(saved.savedAt == t0)
        #expect(try reopened.unresolvedIntents() == [ClientOrderID("b")])
        let counts = try reopened.counts()
        #expect(counts.orders == 2 && counts.fills == 1)
        try reopened.resolveIntent(ClientOrderID("b"), as: "not_placed", detail: "test", at: t0 + 1)
        #expect(try reopened.unresolvedIntents().isEmpty)
    }

    @Test func knowsTheHighestOrderNumberOfARun() throws {
        let journal = try SQLiteJournal(path: temporaryPath())
        let run = RunID(startedAt: t0, entropy: 5)
        let other = RunID(startedAt: t0, entropy: 6)
        #expect(try journal.highestOrderNumber(run: run) == 0)
        try journal.recordIntent(order(ClientOrderID(run: run, number: 7, role: .entry, symbol: "BTCUSD").rawValue), at: t0)
        try journal.recordIntent(order(ClientOrderID(run: run, number: 41, role: .stop, symbol: "BTCUSD").rawValue), at: t0)
        try journal.recordIntent(order(ClientOrderID(run: other, number: 99, role: .stop, symbol: "BTCUSD").rawValue),
                                 at: t0)
        try journal.recordIntent(order("kst-120-entry-BTCUSD"), at: t0)
        try journal.recordIntent(order("liquidation-BTCUSD-1"), at: t0)
        #expect(try journal.highestOrderNumber(run: run) == 41)
        #expect(try journal.highestOrderNumber(run: other) == 99)
    }

    @Test func aFillReportedTwiceIsRecordedOnceAndAPartlyFilledOrderSaysSo() throws {
        let journal = try SQLiteJournal(path: temporaryPath())
        try journal.recordIntent(order("a"), at: t0)
        let lots = order("a").lots
        func fill(_ trade: String, _ filled: Int) -> Fill {
            Fill(orderID: ClientOrderID("a"), tradeID: TradeID(trade), symbol: "BTCUSD", side: .buy, lots: filled,
                 price: 10_000, fee: 1, time: t0)
        }
        var entry = JournalEntry(time: t0)
        entry.fills = [fill("t1", 1), fill("t1", 1)]
        try journal.commit(entry)
        #expect(try journal.counts().fills == 1)
        #expect(try journal.openOrders().first { $0.clientOrderID == "a" }?.state == "partially_filled")
        entry.fills = [fill("t1", 1), fill("t2", lots - 1)]
        try journal.commit(entry)
        let counts = try journal.counts()
        #expect(counts.fills == 2 && counts.fees == 2)
        #expect(try journal.fills().map(\.tradeID) == ["t1", "t2"])
        #expect(try journal.recentTradeIDs(limit: 1) == ["t2"] && journal.recentTradeIDs(limit: 5) == ["t1", "t2"])
        // The venue's acknowledgement, heard after the fills, does not make the order open again.
        entry.fills = []
        entry.outcomes = [.accepted(ClientOrderID("a"))]
        try journal.commit(entry)
        #expect(try journal.openOrders().isEmpty)
        #expect(try journal.openOrders().isEmpty)
    }

    @Test func anOrderIDCanBeRecordedOnlyOnce() throws {
        let journal = try SQLiteJournal(path: temporaryPath())
        try journal.recordIntent(order("a"), at: t0)
        #expect(throws: StorageError.self) { try journal.recordIntent(order("a"), at: t0) }
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let path = temporaryPath()
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StorageError.self) { try SQLiteJournal(path: path) }
        #expect("\(error!)".contains("is not a SQLite database"))
        // Untouched.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x42, count: 8192))
    }

    @Test func refusesAnotherProgramsDatabase() throws {
        let path = temporaryPath()
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
            + "c.execute('create table customers (id integer)'); c.commit()", path]
        try sqlite.run()
        sqlite.waitUntilExit()
        try #require(sqlite.terminationStatus == 0)
        let error = #expect(throws: StorageError.self) { try SQLiteJournal(path: path) }
        #expect("\(error!)".contains("belongs to another program (tables: customers)"))
    }

    @Test func aFullDiskIsAClearError() throws {
        // SQLite's page limit stands in for a full disk: the same SQLITE_FULL an exhausted disk gives.
        let journal = try SQLiteJournal(path: temporaryPath(), maxPageCount: 40)
        var failure: StorageError?
        for index in 0..<10_000 {
            do {
                try journal.recordIntent(order("order-\(index)"), at: t0)
            } catch let error as StorageError {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect("\(error)".contains("is full"))
    }

    @Test func aPathThatCannotBeCreatedIsAClearError() {
        // A directory cannot be made inside a regular file, whoever runs the test (root ignores permissions).
        let file = temporaryPath("plain-file")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let error = #expect(throws: StorageError.self) { try SQLiteJournal(path: file + "/sub/journal.sqlite") }
        #expect("\(error!)".contains("cannot open or create"))
        let readOnlyFileSystem = #expect(throws: StorageError.self) { try SQLiteJournal(path: "/proc/kestrel.sqlite") }
        #expect("\(readOnlyFileSystem!)".contains("/proc/kestrel.sqlite"))
    }
}

struct NoSignals: SignalRevalidator {
    func revalidate(symbol: String, at time: Timestamp) -> SignalResult? { nil }
}
