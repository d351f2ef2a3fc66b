import ArgumentParser
import Foundation
import KestrelStorage
import Logging

/// Where Kestrel keeps its files: `$KESTREL_DB` for the journal if set, else `$XDG_DATA_HOME/kestrel`, else
/// `~/.local/share/kestrel`.
enum DataDirectory {
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("kestrel") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/kestrel")
    }

    static var defaultDatabase: String { defaultDatabase(kucoin: false) }

    /// The journal of a run: `$KESTREL_DB`, else one per market and mode in the data directory, so that a run on
    /// KuCoin's market never resumes a replay's books, nor a live account a paper run's, or the other way round.
    static func defaultDatabase(kucoin: Bool, live: Bool = false) -> String {
        if let db = ProcessInfo.processInfo.environment["KESTREL_DB"], !db.isEmpty { return db }
        let name = live ? "kestrel-kucoin-live.sqlite" : kucoin ? "kestrel-kucoin.sqlite" : "kestrel.sqlite"
        return (path as NSString).appendingPathComponent(name)
    }

    /// The journal at `db` (or the default) for a command that only reads one: a missing file is an error, not a new
    /// journal.
    static func existingJournal(_ db: String?) throws -> (SQLiteJournal, String) {
        let path = db ?? defaultDatabase
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no journal at \(path): start one with `kestrel run` (or pass --db)")
        }
        return (try SQLiteJournal(path: path), path)
    }

    /// Renames a journal (and its WAL files) with a timestamp suffix, so a new run starts empty and nothing is lost.
    /// The paper venue keeps its state beside the journal, in a file of this name plus this suffix.
    static let paperStateSuffix = ".paper.json"

    /// Moves a file aside (renamed with a timestamp), never deleting it.
    static func moveFileAside(_ path: String, logger: Logger) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let aside = "\(path).\(Int(Date().timeIntervalSince1970))"
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        logger.notice("📦 Previous paper venue state kept as \(aside)")
    }

    static func moveAside(_ database: String, logger: Logger) throws {
        guard FileManager.default.fileExists(atPath: database) else { return }
        let stamp = Int(Date().timeIntervalSince1970)
        // The paper venue's state beside it belongs to the same run.
        for suffix in ["", "-wal", "-shm", "-intents", DataDirectory.paperStateSuffix]
        where FileManager.default.fileExists(atPath: database + suffix) {
            try FileManager.default.moveItem(atPath: database + suffix, toPath: "\(database).\(stamp)\(suffix)")
        }
        logger.notice("📦 Previous journal kept as \(database).\(stamp)")
    }
}
