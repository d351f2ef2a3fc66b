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

    var description: String { "\(file.isEmpty ? "" : "\(file): ")cannot write \(what): \(reason)" }
}

/// Writes a file a command was asked to produce (`--json`, `--html`, `--output`, ...), replacing any old one.
///
/// - A path that names one of the process's descriptors (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
///   `/proc/self/fd/N`) is written to that descriptor, after what the command printed so far: whatever the shell
///   connected it to (a terminal, a pipe, a file opened for appending) gets the text as `echo` would give it.
/// - A regular file, or one to be made, is replaced in one step through a temporary file beside it: a write that
///   fails part way leaves the old file whole. A link is followed, to the end of its chain, and stays a link.
/// - Anything else (a device, a named pipe) is written in place; a named pipe waits for its reader, as it does for
///   any writer.
enum OutputFile {
    static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// Throws now what `write` would throw later for `path`, as far as can be told before trying: a command checks
    /// its output files before a run of minutes, not after.
    static func check(_ path: String?, what: String = "the file") throws {
        guard let path else { return }
        _ = try destination(of: path, what: what)
    }

    /// `what` names the file in the error when it cannot be written.
    static func write(_ data: Data, to path: String, what: String = "the file") throws {
        func failed(_ error: any Error) -> OutputFileUnwritable {
            OutputFileUnwritable(file: path, what: what, reason: reason(error))
        }
        switch try destination(of: path, what: what) {
        case .descriptor(let descriptor):
            fflush(nil)  // every stream: what was printed before comes before
            do { try FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).write(contentsOf: data) } catch {
                throw failed(error)
            }
        case .replace(let target):
            do { try data.write(to: target, options: .atomic) } catch { throw failed(error) }
        case .inPlace(let target, let isFile):
            do {
                let handle = try FileHandle(forWritingTo: target)
                defer { try? handle.close() }
                if isFile { try handle.truncate(atOffset: 0) }
                try handle.write(contentsOf: data)
            } catch {
                throw failed(error)
            }
        }
    }

    private enum Destination {
        /// One of the process's open descriptors.
        case descriptor(Int32)
        /// A regular file (or none yet), replaced through a temporary file beside it.
        case replace(URL)
        /// A device or a named pipe, or a file whose directory takes no new files (`isFile`: emptied first):
        /// opened and written as it is.
        case inPlace(URL, isFile: Bool)
    }

    /// Where `path` leads and how it is written, or why it cannot be.
    private static func destination(of path: String, what: String) throws -> Destination {
        func refuse(_ reason: String) -> OutputFileUnwritable {
            OutputFileUnwritable(file: path, what: what, reason: reason)
        }
        guard !path.isEmpty else { throw refuse("no file name given") }
        if let descriptor = descriptor(named: path) { return .descriptor(descriptor) }
        let manager = FileManager.default
        // The directory is resolved as the system would; the last name is followed link by link, so a link to a
        // file not made yet leads to that file, and a loop is caught.
        var target = URL(fileURLWithPath: path)
        for _ in 0..<40 {
            target = target.deletingLastPathComponent().resolvingSymlinksInPath()
                .appendingPathComponent(target.lastPathComponent)
            guard let next = try? manager.destinationOfSymbolicLink(atPath: target.path) else {
                let directory = target.deletingLastPathComponent().path
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                    throw refuse("no such directory: \(directory)")
                }
                guard isDirectory.boolValue else { throw refuse("not a directory: \(directory)") }
                let type = (try? manager.attributesOfItem(atPath: target.path))?[.type] as? FileAttributeType
                if type == .typeDirectory { throw refuse("it is a directory") }
                if let type, type != .typeRegular {
                    guard manager.isWritableFile(atPath: target.path) else { throw refuse("permission denied") }
                    return .inPlace(target, isFile: false)
                }
                if manager.isWritableFile(atPath: directory) { return .replace(target) }
                // A file that may be written but not replaced (its directory takes no new files) is written over.
                guard type != nil, manager.isWritableFile(atPath: target.path) else {
                    throw refuse("permission denied in \(directory)")
                }
                return .inPlace(target, isFile: true)
            }
            if let descriptor = descriptor(named: next) { return .descriptor(descriptor) }
            target = URL(fileURLWithPath: next, relativeTo: target.deletingLastPathComponent()).absoluteURL
        }
        throw refuse("too many levels of symbolic links")
    }

    /// The descriptor a path names, for the paths that name one.
    private static func descriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
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
