import Foundation
import KestrelCore

/// JSON as the commands print and write it: indented, keys sorted, so runs compare line by line.
enum JSONText {
    static func pretty(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }
}

/// A file a command was asked to produce (`--json FILE`, ...) that it could not write.
struct OutputFileUnwritable: Error, CustomStringConvertible {
    var file: String
    var what: String
    var reason: String

    var description: String { "\(file): cannot write \(what): \(reason)" }
}

/// Writes a file a command was asked to produce (`--json`, `--html`, `--output`, ...), replacing any old one.
///
/// A regular file (or a link to one) is replaced in one step, through a temporary file beside it: a write that
/// fails part way leaves the old file whole, and a link stays a link. Anything else a path can name (a terminal,
/// `/dev/stdout`, a pipe) is written in place: replacing it would put a plain file where it was.
enum OutputFile {
    static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// Throws now what `write` would throw later for `path`, as far as can be told before trying: a command checks
    /// its output files before a run of minutes, not after.
    static func check(_ path: String?, what: String = "the file") throws {
        guard let path else { return }
        let (target, type) = destination(of: path)
        if let problem = problem(writing: target, type: type) {
            throw OutputFileUnwritable(file: path, what: what, reason: problem)
        }
    }

    /// Where `path` leads (past any links), and what is there now (nil: nothing yet).
    private static func destination(of path: String) -> (URL, FileAttributeType?) {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        return (target, (try? FileManager.default.attributesOfItem(atPath: target.path))?[.type] as? FileAttributeType)
    }

    /// `what` names the file in the error when it cannot be written.
    static func write(_ data: Data, to path: String, what: String = "the file") throws {
        try check(path, what: what)
        let (target, type) = destination(of: path)
        if let type, type != .typeRegular, type != .typeDirectory {
            guard let handle = FileHandle(forWritingAtPath: target.path) else {
                throw OutputFileUnwritable(file: path, what: what, reason: "cannot open it for writing")
            }
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw OutputFileUnwritable(file: path, what: what, reason: reason(error))
            }
            return
        }
        do { try data.write(to: target, options: .atomic) } catch {
            throw OutputFileUnwritable(file: path, what: what, reason: reason(error))
        }
    }

    /// What stands in the way of writing `target`, said plainly, as far as can be told before trying.
    private static func problem(writing target: URL, type: FileAttributeType?) -> String? {
        if type == .typeDirectory { return "it is a directory" }
        let directory = target.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return "no such directory: \(directory)"
        }
        guard isDirectory.boolValue else { return "not a directory: \(directory)" }
        if type == nil || type == .typeRegular, !FileManager.default.isWritableFile(atPath: directory) {
            return "permission denied in \(directory)"
        }
        return nil
    }

    /// What the system said, in its own words ("No such file or directory") where it said something.
    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        return error.localizedDescription
    }
}
