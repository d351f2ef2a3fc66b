import Foundation
import GRDB
public import KestrelCore
import Synchronization

/// How hard the journal works to keep a step once it is committed.
public enum JournalDurability: String, Sendable, CaseIterable {
    /// WAL with `synchronous=NORMAL`: a committed step survives a crash of Kestrel (the process), not necessarily
    /// a crash of the machine or a power cut. About 0.5 ms a step.
    case normal
    /// `synchronous=FULL`: each commit waits until the disk has it, so a step survives a power cut too. What real
    /// money deserves; each step costs a disk flush.
    case full
}

/// Kestrel's journal in SQLite (WAL mode, versioned migrations): orders with every state change, fills, funding,
/// closed trades, equity snapshots, scans, and the engine's and paper exchange's state. Every write is one
/// transaction, so a crash leaves the journal as it was before or after a step, never in between.
public final class SQLiteJournal: TradingJournal {
    public let path: String
    private let pool: DatabasePool
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()
    /// Scans recorded and not yet written: they go out with the next commit, so that the scanner, which records
    /// one a minute (at a replay's speed, hundreds a second), never holds the one SQLite writer while an order's
    /// intent waits for it.
    private let pendingScans = Mutex<[ScanRow]>([])
    /// A running bot's intent log (`logsIntents`), and the intents written there that no commit has moved into the
    /// `orders` table yet.
    private let intentLog: IntentLog?
    private let pendingIntents = Mutex<[IntentLog.Intent]>([])

    private struct ScanRow: Sendable {
        var sequence: Int
        var startedAt: Int64
        var finishedAt: Int64
        var durationMilliseconds: Double
        var opportunities: String
    }

    static let applicationID = "kestrel"
    static let schemaVersion = "3"

    /// Opens (or creates) the journal at `path`. Refuses a file that is not Kestrel's, or is damaged.
    ///
    /// - Parameter logsIntents: the journal of the running bot (one process): an order's intent is written to the
    ///   intent log beside it (`IntentLog`) and moved into the journal with the next commit; the intents a crash
    ///   left in the log are moved in here. Other readers (`kestrel status`) leave the log alone.
    public init(path: String, durability: JournalDurability = .normal, maxPageCount: Int? = nil,
                logsIntents: Bool = false) throws(StorageError) {
        self.path = path
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, detail: "cannot create the directory \(directory): "
                    + "\((error as NSError).localizedDescription)")
            }
        }
        // Opened for appending, what a crash left in it kept until it is in the journal (below).
        intentLog = logsIntents ? try IntentLog(path: path + "-intents", flushes: durability == .full) : nil
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Set on the writer once the pool is open: GRDB sets synchronous=NORMAL when it turns WAL on, after
            // `prepareDatabase` has run, and the setting belongs to the connection that commits.
            let level = durability == .full ? "FULL" : "NORMAL"
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(level)")
                // The log is copied into the database by `commit`, after a step, never by whichever write crosses
                // SQLite's threshold: that could be an order's intent, which then waits milliseconds for a disk
                // flush before the order may leave.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            }
        } catch {
            throw Self.map(error, path: path)
        }
        try checkOwnership()
        do {
            try Self.migrator.migrate(pool)
            // Compiled now, not when the first order waits for its intent.
            try pool.writeWithoutTransaction { db in
                _ = try db.cachedStatement(sql: Self.insertIntent)
                _ = try db.cachedStatement(sql: Self.insertIntentKeepingExisting)
                _ = try db.cachedStatement(sql: Self.insertIntentEvent)
            }
            if let intentLog {
                // Intents a crash left in the log, moved in before anything reads the orders.
                let left = IntentLog.read(intentLog.path)
                if !left.isEmpty { try pool.write { db in try Self.insert(left, in: db, keepingExisting: true) } }
                intentLog.empty()
            }
        } catch {
            throw Self.map(error, path: path)
        }
    }

    // MARK: Schema

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE kestrel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO kestrel_meta (key, value) VALUES ('application', '\(applicationID)'), ('schema', '1');
                CREATE TABLE orders (
                    client_order_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, lots INTEGER NOT NULL,
                    kind TEXT NOT NULL, price REAL, reduce_only INTEGER NOT NULL, leverage INTEGER NOT NULL,
                    purpose TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL, detail TEXT);
                CREATE INDEX orders_state ON orders (state);
                CREATE TABLE order_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL, state TEXT NOT NULL,
                    at INTEGER NOT NULL, detail TEXT);
                CREATE TABLE fills (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL, symbol TEXT NOT NULL,
                    side TEXT NOT NULL, lots INTEGER NOT NULL, price REAL NOT NULL, fee REAL NOT NULL,
                    time INTEGER NOT NULL, is_maker INTEGER NOT NULL, is_liquidation INTEGER NOT NULL);
                CREATE INDEX fills_order ON fills (client_order_id);
                CREATE TABLE funding (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, symbol TEXT NOT NULL, amount REAL NOT NULL,
                    time INTEGER NOT NULL);
                CREATE TABLE closed_trades (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, symbol TEXT NOT NULL, side TEXT NOT NULL,
                    lots INTEGER NOT NULL, entry_price REAL NOT NULL, exit_price REAL NOT NULL,
                    opened_at INTEGER NOT NULL, closed_at INTEGER NOT NULL, reason TEXT NOT NULL, pnl REAL NOT NULL,
                    fees REAL NOT NULL, funding REAL NOT NULL);
                CREATE TABLE positions (
                    symbol TEXT PRIMARY KEY, side TEXT NOT NULL, lots INTEGER NOT NULL, entry_price REAL NOT NULL,
                    leverage INTEGER NOT NULL, stop_price REAL NOT NULL, stop_kind TEXT NOT NULL,
                    stop_order_id TEXT, take_profit REAL NOT NULL, partials_taken INTEGER NOT NULL,
                    opened_at INTEGER NOT NULL, unrealized_pnl REAL NOT NULL);
                CREATE TABLE equity_snapshots (
                    time INTEGER NOT NULL, equity REAL NOT NULL, cash REAL NOT NULL, open_positions INTEGER NOT NULL);
                CREATE TABLE scans (
                    sequence INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL,
                    duration_ms REAL NOT NULL, opportunities TEXT NOT NULL);
                CREATE TABLE state (name TEXT PRIMARY KEY, json BLOB NOT NULL, updated_at INTEGER NOT NULL);
                """)
        }
        // v2: a fill is kept once by the venue's trade id (a venue can report one twice), and an order knows how
        // much of it has filled, so a partly filled order reads as such.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE fills ADD COLUMN trade_id TEXT;
                CREATE UNIQUE INDEX fills_trade ON fills (trade_id);
                DELETE FROM funding WHERE id NOT IN (SELECT min(id) FROM funding GROUP BY symbol, time);
                CREATE UNIQUE INDEX funding_due ON funding (symbol, time);
                ALTER TABLE orders ADD COLUMN filled_lots INTEGER NOT NULL DEFAULT 0;
                UPDATE orders SET filled_lots = lots WHERE state = 'filled';
                UPDATE kestrel_meta SET value = '2' WHERE key = 'schema';
                """)
        }
        // v3: what a person told the bot through its API (pause, resume, close), with where it came from.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE controls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, action TEXT NOT NULL,
                    source TEXT NOT NULL, detail TEXT NOT NULL);
                UPDATE kestrel_meta SET value = '3' WHERE key = 'schema';
                """)
        }
        return migrator
    }

    /// A database with tables that are not Kestrel's is refused, not migrated into.
    private func checkOwnership() throws(StorageError) {
        do {
            let (tables, application, schema) = try pool.read { db -> ([String], String?, String?) in
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    AND name != 'grdb_migrations' ORDER BY name
                    """)
                guard tables.contains("kestrel_meta") else { return (tables, nil, nil) }
                let application = try String.fetchOne(db, sql: "SELECT value FROM kestrel_meta WHERE key = 'application'")
                let schema = try String.fetchOne(db, sql: "SELECT value FROM kestrel_meta WHERE key = 'schema'")
                return (tables, application, schema)
            }
            if !tables.isEmpty, application != Self.applicationID { throw StorageError.foreign(path: path, tables: tables) }
            if let schema, let version = Int(schema), version > Int(Self.schemaVersion)! {
                throw StorageError.newerSchema(path: path, version: schema)
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw Self.map(error, path: path)
        }
    }

    static func map(_ error: any Error, path: String) -> StorageError {
        guard let database = error as? DatabaseError else { return .failed(path: path, detail: "\(error)") }
        switch database.resultCode {
        case .SQLITE_NOTADB: return .notADatabase(path: path)
        case .SQLITE_CORRUPT: return .corrupt(path: path, detail: database.message ?? "corrupt")
        case .SQLITE_READONLY: return .readOnly(path: path)
        case .SQLITE_CANTOPEN: return .cannotOpen(path: path, detail: database.message ?? "unable to open")
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_PERM, .SQLITE_AUTH: return .readOnly(path: path)
        default: return .failed(path: path, detail: database.message ?? "\(database)")
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try pool.write(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw Self.map(error, path: path)
        }
    }

    /// The durability SQLite is actually set to on the connection that commits.
    public func effectiveDurability() throws(StorageError) -> JournalDurability? {
        let level: Int?
        do {
            level = try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        } catch {
            throw Self.map(error, path: path)
        }
        switch level {
        case 1: return .normal
        case 2: return .full
        default: return nil
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw Self.map(error, path: path)
        }
    }

    // MARK: Writing

    public func recordIntent(_ order: OrderRequest, at time: Timestamp) throws {
        let (kind, price) = Self.describe(order.kind)
        let intent = IntentLog.Intent(id: order.id.rawValue, symbol: order.symbol, side: order.side.rawValue,
                                      lots: order.lots, kind: kind, price: price, reduceOnly: order.reduceOnly,
                                      leverage: order.leverage, purpose: Self.describe(order.purpose),
                                      time: time.seconds)
        if let intentLog {
            try intentLog.append(intent)
            pendingIntents.withLock { $0.append(intent) }
            return
        }
        // An id recorded already is refused: the engine never makes one twice.
        try write { db in try Self.insert([intent], in: db, keepingExisting: false) }
    }

    private static let intentColumns = """
        INTO orders (client_order_id, symbol, side, lots, kind, price, reduce_only, leverage, purpose, state,
                     created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'intent', ?, ?)
        """
    private static let insertIntent = "INSERT " + intentColumns
    private static let insertIntentKeepingExisting = "INSERT OR IGNORE " + intentColumns
    private static let insertIntentEvent = "INSERT INTO order_events (client_order_id, state, at) VALUES (?, 'intent', ?)"

    /// Intents into the `orders` table, each with its `intent` event. `keepingExisting`: an intent already there
    /// is left as it is (the log's, moved in again after a crash); otherwise it fails the write.
    ///
    /// Cached statements: this write stands between a decision and its order leaving (without an intent log), and
    /// compiling the SQL each time was a third of it.
    private static func insert(_ intents: [IntentLog.Intent], in db: Database, keepingExisting: Bool) throws {
        let insert = try db.cachedStatement(sql: keepingExisting ? insertIntentKeepingExisting : insertIntent)
        let event = try db.cachedStatement(sql: insertIntentEvent)
        for intent in intents {
            try insert.execute(arguments: [intent.id, intent.symbol, intent.side, intent.lots, intent.kind,
                                           intent.price, intent.reduceOnly, intent.leverage, intent.purpose,
                                           intent.time, intent.time])
            guard db.changesCount > 0 else { continue }
            try event.execute(arguments: [intent.id, intent.time])
        }
    }

    /// Moves the intents written to the log since the last commit into the journal, for a read of the orders.
    private func movePendingIntents() throws(StorageError) {
        let intents = pendingIntents.withLock { $0 }
        guard !intents.isEmpty else { return }
        try write { db in try Self.insert(intents, in: db, keepingExisting: true) }
        intentsMoved(intents.count)
    }

    /// The first `count` pending intents are in the journal now: the log is emptied once none is pending.
    private func intentsMoved(_ count: Int) {
        let empty = pendingIntents.withLock { pending in
            pending.removeFirst(min(count, pending.count))
            return pending.isEmpty
        }
        if empty { intentLog?.empty() }
    }

    /// Steps committed since the write-ahead log was last copied into the database.
    private let commitsSinceCheckpoint = Mutex(0)
    /// How many steps' commits the write-ahead log gathers before it is copied into the database (a few MB at most).
    static let commitsPerCheckpoint = 64

    public func commit(_ entry: JournalEntry) throws {
        let engine = try entry.engine.map { try encoder.encode($0) }
        let exchange = try entry.exchange.map { try encoder.encode($0) }
        let scans = pendingScans.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        let intents = pendingIntents.withLock { $0 }
        do {
            try commit(entry, engine: engine, exchange: exchange, scans: scans, intents: intents)
            if !intents.isEmpty { intentsMoved(intents.count) }
        } catch {
            // Kept for the next commit.
            pendingScans.withLock { $0.insert(contentsOf: scans, at: 0) }
            throw error
        }
        let due = commitsSinceCheckpoint.withLock { count in
            count += 1
            guard count >= Self.commitsPerCheckpoint else { return false }
            count = 0
            return true
        }
        // Passive: it copies what no reader still needs and never waits. A failure only leaves the log longer (the
        // next one, or the next open, copies it).
        if due { _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
    }

    private func commit(_ entry: JournalEntry, engine: Data?, exchange: Data?, scans: [ScanRow],
                        intents: [IntentLog.Intent]) throws {
        try write { db in
            // First: the step's outcomes may be about these orders.
            try Self.insert(intents, in: db, keepingExisting: true)
            for scan in scans {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO scans (sequence, started_at, finished_at, duration_ms, opportunities)
                    VALUES (?, ?, ?, ?, ?)
                    """, arguments: [scan.sequence, scan.startedAt, scan.finishedAt, scan.durationMilliseconds,
                                     scan.opportunities])
            }
            let at = entry.time.seconds
            func setState(_ id: String, _ state: String, _ detail: String? = nil) throws {
                try Self.setState(of: id, to: state, detail: detail, at: at, in: db)
            }
            for outcome in entry.outcomes {
                switch outcome {
                case .accepted(let id):
                    // An acknowledgement can arrive after the order's fills (the venue's stream is quicker than its
                    // answer): it opens only an order not yet further along.
                    try db.execute(sql: "UPDATE orders SET state = 'open', updated_at = ? WHERE client_order_id = ? "
                        + "AND state IN ('intent', 'unknown')", arguments: [at, id.rawValue])
                    try db.execute(sql: "INSERT INTO order_events (client_order_id, state, at) VALUES (?, 'open', ?)",
                                   arguments: [id.rawValue, at])
                case .rejected(let id, let reason): try setState(id.rawValue, "rejected", reason)
                case .cancelled(let id): try setState(id.rawValue, "cancelled")
                case .unknown(let id, let reason): try setState(id.rawValue, "unknown", reason)
                }
            }
            for control in entry.controls {
                try db.execute(sql: "INSERT INTO controls (at, action, source, detail) VALUES (?, ?, ?, ?)",
                               arguments: [at, control.action, control.source, control.detail])
            }
            for fill in entry.fills {
                // A trade id recorded already is the same fill reported again: it is not counted twice.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO fills (client_order_id, trade_id, symbol, side, lots, price, fee, time,
                                                 is_maker, is_liquidation)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [fill.orderID.rawValue, fill.tradeID.rawValue, fill.symbol, fill.side.rawValue, fill.lots,
                                     fill.price, fill.fee, fill.time.seconds, fill.isMaker, fill.isLiquidation])
                guard db.changesCount > 0 else { continue }
                if fill.isLiquidation {
                    // The exchange made this order itself: record it so every fill has its order.
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO orders (client_order_id, symbol, side, lots, kind, reduce_only, leverage,
                                                      purpose, state, created_at, updated_at)
                        VALUES (?, ?, ?, ?, 'market', 1, 1, 'exit:liquidation', 'intent', ?, ?)
                        """, arguments: [fill.orderID.rawValue, fill.symbol, fill.side.rawValue, fill.lots, at, at])
                }
                try db.execute(sql: "UPDATE orders SET filled_lots = filled_lots + ? WHERE client_order_id = ?",
                               arguments: [fill.lots, fill.orderID.rawValue])
                let (lots, filled) = try Self.size(of: fill.orderID.rawValue, in: db)
                try setState(fill.orderID.rawValue, filled < lots ? "partially_filled" : "filled",
                             "\(fill.lots) lots @ \(fill.price) (\(filled) of \(lots))")
            }
            for payment in entry.funding {
                // A symbol's funding is due once per time: one reported again is not paid twice.
                try db.execute(sql: "INSERT OR IGNORE INTO funding (symbol, amount, time) VALUES (?, ?, ?)",
                               arguments: [payment.symbol, payment.amount, payment.time.seconds])
            }
            for trade in entry.closedTrades {
                try db.execute(sql: """
                    INSERT INTO closed_trades (symbol, side, lots, entry_price, exit_price, opened_at, closed_at,
                                               reason, pnl, fees, funding)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [trade.symbol, trade.side.rawValue, trade.lots, trade.entryPrice, trade.exitPrice,
                                     trade.openedAt.seconds, trade.closedAt.seconds, trade.reason.rawValue, trade.pnl,
                                     trade.fees, trade.funding])
            }
            if let state = entry.engine {
                try db.execute(sql: "INSERT OR REPLACE INTO state (name, json, updated_at) VALUES ('engine', ?, ?)",
                               arguments: [engine, at])
                try db.execute(sql: "DELETE FROM positions")
                for position in state.positions.values {
                    let price = state.lastPrices[position.symbol] ?? position.entryPrice
                    try db.execute(sql: """
                        INSERT INTO positions (symbol, side, lots, entry_price, leverage, stop_price, stop_kind,
                                               stop_order_id, take_profit, partials_taken, opened_at, unrealized_pnl)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [position.symbol, position.side.rawValue, position.lots, position.entryPrice,
                                         position.leverage, position.stopPrice, position.stopKind.rawValue,
                                         position.stopOrderID?.rawValue, position.takeProfitPrice,
                                         position.partialsTaken, position.openedAt.seconds,
                                         position.unrealizedPnL(at: price)])
                }
                if let equity = entry.equity {
                    try db.execute(sql: "INSERT INTO equity_snapshots (time, equity, cash, open_positions) "
                        + "VALUES (?, ?, ?, ?)", arguments: [at, equity, state.cash, state.positions.count])
                }
            }
            if exchange != nil {
                try db.execute(sql: "INSERT OR REPLACE INTO state (name, json, updated_at) VALUES ('exchange', ?, ?)",
                               arguments: [exchange, at])
            }
        }
    }

    /// Records a published scan: written with the next commit (see `pendingScans`).
    public func recordScan(_ snapshot: ScanSnapshot, durationMilliseconds: Double) throws {
        let opportunities = String(decoding: try JSONEncoder().encode(snapshot.opportunities.map {
            ["symbol": $0.symbol, "signal": $0.signal.rawValue, "score": String($0.score)]
        }), as: UTF8.self)
        let row = ScanRow(sequence: snapshot.sequence, startedAt: snapshot.scanStarted.seconds,
                          finishedAt: snapshot.scanFinished.seconds, durationMilliseconds: durationMilliseconds,
                          opportunities: opportunities)
        pendingScans.withLock {
            $0.append(row)
            // Bounded, should commits stop: the newest are kept.
            if $0.count > 10_000 { $0.removeFirst($0.count - 10_000) }
        }
    }

    /// Marks an order intent resolved after a restart (it never reached the exchange, or it did).
    public func resolveIntent(_ id: ClientOrderID, as state: String, detail: String, at time: Timestamp) throws {
        try movePendingIntents()
        try write { db in try Self.setState(of: id.rawValue, to: state, detail: detail, at: time.seconds, in: db) }
    }

    /// An order's lots and how many of them have filled (a fill for an order not recorded counts as whole).
    private static func size(of id: String, in db: Database) throws -> (lots: Int, filled: Int) {
        let row = try Row.fetchOne(db, sql: "SELECT lots, filled_lots FROM orders WHERE client_order_id = ?",
                                   arguments: [id])
        guard let row else { return (0, 0) }
        return (row["lots"], row["filled_lots"])
    }

    /// Moves an order to `state` and logs the move; a nil `detail` keeps the order's last one.
    private static func setState(of id: String, to state: String, detail: String?, at time: Int64,
                                 in db: Database) throws {
        try db.execute(sql: "UPDATE orders SET state = ?, updated_at = ?, detail = COALESCE(?, detail) "
            + "WHERE client_order_id = ?", arguments: [state, time, detail, id])
        try db.execute(sql: "INSERT INTO order_events (client_order_id, state, at, detail) VALUES (?, ?, ?, ?)",
                       arguments: [id, state, time, detail])
    }

    // MARK: Reading

    public struct SavedState: Sendable {
        public var engine: EngineState
        /// The paper exchange as journals before the paper venue kept its own file recorded it (nil since).
        public var exchange: PaperExchange?
        public var closedTrades: [ClosedTrade]
        public var savedAt: Timestamp
    }

    /// The state of the last committed step, or nil for a new journal.
    public func loadState() throws -> SavedState? {
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT name, json, updated_at FROM state")
        }
        var engineData: Data?
        var exchangeData: Data?
        var savedAt = Timestamp(seconds: 0)
        for row in rows {
            let name: String = row["name"]
            let data: Data = row["json"]
            savedAt = max(savedAt, Timestamp(seconds: row["updated_at"]))
            if name == "engine" { engineData = data } else if name == "exchange" { exchangeData = data }
        }
        guard let engineData else { return nil }
        do {
            return SavedState(engine: try decoder.decode(EngineState.self, from: engineData),
                              exchange: try exchangeData.map { try decoder.decode(PaperExchange.self, from: $0) },
                              closedTrades: try closedTrades(), savedAt: savedAt)
        } catch {
            throw StorageError.corrupt(path: path, detail: "saved state unreadable: \(error)")
        }
    }

    public func closedTrades(since: Timestamp? = nil) throws(StorageError) -> [ClosedTrade] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM closed_trades WHERE closed_at >= ? ORDER BY id",
                             arguments: [since?.seconds ?? Int64.min]).map { row in
                ClosedTrade(symbol: row["symbol"], side: PositionSide(rawValue: row["side"]) ?? .long, lots: row["lots"],
                            entryPrice: row["entry_price"], exitPrice: row["exit_price"],
                            openedAt: Timestamp(seconds: row["opened_at"]), closedAt: Timestamp(seconds: row["closed_at"]),
                            reason: ExitReason(rawValue: row["reason"]) ?? .stopLoss, pnl: row["pnl"], fees: row["fees"],
                            funding: row["funding"])
            }
        }
    }

    /// The highest order number in the client order ids of run `run` (`kst-<run>-<number>-...`), or 0.
    public func highestOrderNumber(run: RunID) throws(StorageError) -> Int {
        try movePendingIntents()
        return try read { db in
            try String.fetchAll(db, sql: "SELECT client_order_id FROM orders WHERE client_order_id LIKE ?",
                                arguments: ["\(ClientOrderID.prefix)\(run.text)-%"])
                .compactMap { ClientOrderID($0).runAndNumber }.filter { $0.run == run }.map(\.number).max() ?? 0
        }
    }

    /// Orders written as intents and never answered: after a crash, these are resolved by client order id.
    public func unresolvedIntents() throws(StorageError) -> [ClientOrderID] {
        try movePendingIntents()
        return try read { db in
            try String.fetchAll(db, sql: "SELECT client_order_id FROM orders WHERE state = 'intent' ORDER BY created_at")
                .map(ClientOrderID.init)
        }
    }

    /// `unresolvedIntents()` with each order's symbol, for a venue that looks orders up by symbol.
    public func unresolvedIntentOrders() throws(StorageError) -> [(ClientOrderID, String)] {
        try movePendingIntents()
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT client_order_id, symbol FROM orders WHERE state = 'intent' ORDER BY created_at")
                .map { (ClientOrderID($0["client_order_id"]), $0["symbol"]) }
        }
    }

    /// Every order's symbol, side and size, by client order id.
    public func orderSides() throws(StorageError) -> [String: (symbol: String, side: String, lots: Int)] {
        try movePendingIntents()
        return try read { db in
            var orders = [String: (symbol: String, side: String, lots: Int)]()
            for row in try Row.fetchAll(db, sql: "SELECT client_order_id, symbol, side, lots FROM orders") {
                orders[row["client_order_id"]] = (row["symbol"], row["side"], row["lots"])
            }
            return orders
        }
    }

    public struct Counts: Sendable, Equatable {
        public var orders: Int
        public var fills: Int
        public var distinctFilledOrders: Int
        public var closedTrades: Int
        public var fees: Double
        public var funding: Double
        public var realizedPnL: Double
    }

    public func counts() throws(StorageError) -> Counts {
        try movePendingIntents()
        return try read { db in
            Counts(orders: try Int.fetchOne(db, sql: "SELECT count(*) FROM orders") ?? 0,
                   fills: try Int.fetchOne(db, sql: "SELECT count(*) FROM fills") ?? 0,
                   distinctFilledOrders: try Int.fetchOne(db, sql: "SELECT count(DISTINCT client_order_id) FROM fills") ?? 0,
                   closedTrades: try Int.fetchOne(db, sql: "SELECT count(*) FROM closed_trades") ?? 0,
                   fees: try Double.fetchOne(db, sql: "SELECT total(fee) FROM fills") ?? 0,
                   funding: try Double.fetchOne(db, sql: "SELECT total(amount) FROM funding") ?? 0,
                   realizedPnL: try Double.fetchOne(db, sql: "SELECT total(pnl) FROM closed_trades") ?? 0)
        }
    }

    /// Every fill, oldest first.
    public func fills() throws(StorageError) -> [Fill] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fills ORDER BY id").map { row in
                // Fills recorded before trade ids were kept are told apart by their row.
                Fill(orderID: ClientOrderID(row["client_order_id"]),
                     tradeID: TradeID(row["trade_id"] ?? "row-\(row["id"] as Int64)"), symbol: row["symbol"],
                     side: OrderSide(rawValue: row["side"]) ?? .buy, lots: row["lots"], price: row["price"],
                     fee: row["fee"], time: Timestamp(seconds: row["time"]), isMaker: row["is_maker"],
                     isLiquidation: row["is_liquidation"])
            }
        }
    }

    /// The trade ids of the latest `limit` fills, oldest first: the fills the engine has counted (see
    /// `TradingEngine.remember(tradeIDs:)`).
    public func recentTradeIDs(limit: Int) throws(StorageError) -> [TradeID] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT trade_id FROM (SELECT id, trade_id FROM fills WHERE trade_id IS NOT NULL ORDER BY id DESC LIMIT ?)
                ORDER BY id
                """, arguments: [limit]).map { TradeID($0) }
        }
    }

    /// What people told the bot through its API, oldest first.
    public func controls() throws(StorageError) -> [(at: Timestamp, record: ControlRecord)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT at, action, source, detail FROM controls ORDER BY id").map { row in
                (Timestamp(seconds: row["at"]),
                 ControlRecord(action: row["action"], source: row["source"], detail: row["detail"]))
            }
        }
    }

    public struct OpenOrder: Sendable {
        public var clientOrderID: String
        public var symbol: String
        public var side: String
        public var lots: Int
        public var kind: String
        public var price: Double?
        public var state: String
    }

    public func openOrders() throws(StorageError) -> [OpenOrder] {
        try movePendingIntents()
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE state IN ('intent', 'open', 'partially_filled', 'unknown') ORDER BY created_at")
                .map { row in
                    OpenOrder(clientOrderID: row["client_order_id"], symbol: row["symbol"], side: row["side"],
                              lots: row["lots"], kind: row["kind"], price: row["price"], state: row["state"])
                }
        }
    }

    /// The last scan: when it ran.
    public func lastScan() throws(StorageError) -> (sequence: Int, finishedAt: Timestamp)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT sequence, finished_at FROM scans ORDER BY sequence DESC LIMIT 1").map {
                (Int($0["sequence"] as Int64), Timestamp(seconds: $0["finished_at"]))
            }
        }
    }

    // MARK: Descriptions

    static func describe(_ kind: OrderKind) -> (String, Double?) {
        switch kind {
        case .market: return ("market", nil)
        case .limit(let price): return ("limit", price)
        case .stopMarket(let trigger): return ("stop_market", trigger)
        }
    }

    static func describe(_ purpose: OrderPurpose) -> String {
        switch purpose {
        case .entry: return "entry"
        case .stopLoss: return "stop_loss"
        case .exit(let reason): return "exit:\(reason.rawValue)"
        }
    }
}
