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

/// Writes a file a command was asked to produce (`--json`, `--html`, `--output`, ...), replacing any old one.
enum OutputFile {
    static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }

    /// `what` names the file in the error when it cannot be written.
    static func write(_ data: Data, to path: String, what: String = "the file") throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw DataFileUnreadable(file: path, reason: "cannot write \(what)")
        }
    }
}
