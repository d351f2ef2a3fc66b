
/// Why the journal cannot be used. Kestrel never resets or overwrites a database it cannot read.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    case notADatabase(path: String)
    case corrupt(path: String, detail: String)
    case foreign(path: String, tables: [String])
    case newerSchema(path: String, version: String)
    case readOnly(path: String)
    case cannotOpen(path: String, detail: String)
    case diskFull(path: String)
    case failed(path: String, detail: String)

    public var description: String {
        switch self {
        case .notADatabase(let path):
            return "\(path) is not a SQLite database (or it is damaged); Kestrel will not overwrite it. "
                + "Move it away or choose another file with --db."
        case .corrupt(let path, let detail):
            return "\(path) is damaged (\(detail)); Kestrel will not reset it. Restore a backup or choose another --db."
        case .foreign(let path, let tables):
            return "\(path) belongs to another program (tables: \(tables.prefix(5).joined(separator: ", "))); "
                + "Kestrel will not write into it. Choose another file with --db."
        case .newerSchema(let path, let version):
            return "\(path) was written by a newer Kestrel (schema \(version)); upgrade Kestrel to use it."
        case .readOnly(let path):
            return "\(path) cannot be written (read-only file or directory)."
        case .cannotOpen(let path, let detail):
            return "cannot open or create \(path): \(detail)"
        case .diskFull(let path):
            return "the disk holding \(path) is full: the journal cannot record more until space is freed."
        case .failed(let path, let detail):
            return "database error in \(path): \(detail)"
        }
    }
}
