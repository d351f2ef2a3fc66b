import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only file beside the journal (`<journal>-intents`) where a running bot writes each order's intent, one
/// line each, before the order is sent. The journal moves the intents into its `orders` table with its next commit,
/// and a journal opened after a crash reads back the ones it had not moved yet.
///
/// Why not SQLite at once: the intent stands between a decision and its order leaving. One `write(2)` to this file
/// takes microseconds, a SQLite transaction a third of a millisecond on this machine's disk (`kestrel bench
/// --only "order path"`: p50 0.85 → 0.45 ms, docs/benchmarks.md), and both survive a crash of the process alike: the
/// kernel has the bytes once the call returns. With `JOURNAL_SYNC=full` each line is flushed to the disk before the
/// order may leave, as SQLite's commit would be.
///
/// A line is `id TAB symbol TAB side TAB lots TAB kind TAB price TAB reduce-only TAB leverage TAB purpose TAB time`.
/// A line cut short by a crash is one whose order never left: it is skipped.
final class IntentLog: @unchecked Sendable {
    // Unchecked: the descriptor is only written by the journal's owner (the desk, one call at a time) and closed at
    // deinit; `write(2)` with O_APPEND is atomic for a line this short.
    let path: String
    private let descriptor: Int32
    private let flushes: Bool
    /// Bytes written since the file was last emptied.
    private var written = 0

    struct Intent: Equatable {
        var id: String
        var symbol: String
        var side: String
        var lots: Int
        var kind: String
        var price: Double?
        var reduceOnly: Bool
        var leverage: Int
        var purpose: String
        var time: Int64
    }

    init(path: String, flushes: Bool) throws(StorageError) {
        self.path = path
        self.flushes = flushes
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, detail: String(cString: strerror(errno)))
        }
        // What an earlier process left in it counts as written: emptied once the journal has it.
        written = max(0, Int(lseek(descriptor, 0, SEEK_END)))
    }

    deinit { close(descriptor) }

    /// Appends one intent; returns once the kernel has it (and the disk, when it flushes).
    func append(_ intent: Intent) throws(StorageError) {
        let line = Self.line(intent)
        let count = line.utf8.count
        let result = line.withCString { write(descriptor, $0, count) }
        guard result == count else {
            throw .failed(path: path, detail: "writing an order's intent: "
                + (result < 0 ? String(cString: strerror(errno)) : "\(result) of \(count) bytes written"))
        }
        if flushes, fsync(descriptor) != 0 {
            throw .failed(path: path, detail: "flushing an order's intent: \(String(cString: strerror(errno)))")
        }
        written += count
    }

    /// Empties the file: every intent in it is in the journal now.
    func empty() {
        guard written > 0 else { return }
        if ftruncate(descriptor, 0) == 0 { written = 0 }
    }

    /// The whole intents of the file at `path` (none when it is missing).
    static func read(_ path: String) -> [Intent] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        // Only lines that end: a last one without its newline was cut by a crash before its order could leave.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.compactMap(parse)
    }

    static func line(_ intent: Intent) -> String {
        func clean(_ text: String) -> String {
            text.contains(where: { $0 == "\t" || $0 == "\n" }) ? text.map { $0 == "\t" || $0 == "\n" ? " " : String($0) }.joined() : text
        }
        let fields = [clean(intent.id), clean(intent.symbol), intent.side, String(intent.lots), intent.kind,
                      intent.price.map { "\($0)" } ?? "", intent.reduceOnly ? "1" : "0", String(intent.leverage),
                      clean(intent.purpose), String(intent.time)]
        return fields.joined(separator: "\t") + "\n"
    }

    static func parse(_ line: Substring) -> Intent? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 10, !fields[0].isEmpty, let lots = Int(fields[3]), let leverage = Int(fields[7]),
              let time = Int64(fields[9]) else { return nil }
        return Intent(id: fields[0], symbol: fields[1], side: fields[2], lots: lots, kind: fields[4],
                      price: fields[5].isEmpty ? nil : Double(fields[5]), reduceOnly: fields[6] == "1",
                      leverage: leverage, purpose: fields[8], time: time)
    }
}
