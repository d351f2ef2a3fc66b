/// One problem found in a market data file, located precisely enough for a user to fix it.
public struct DataIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case malformedRow = "malformed row"
        case notANumber = "not a number"
        case nonFinite = "not finite"
        case nonPositivePrice = "price not positive"
        case negativeVolume = "negative volume"
        case highBelowBody = "high below open/close"
        case lowAboveBody = "low above open/close"
        case badTimestamp = "bad timestamp"
        case outOfOrder = "timestamp out of order"
        case duplicate = "duplicate timestamp"
        case emptyFile = "no candles"
        case badHeader = "bad header"
    }

    public var file: String
    /// 1-based line in the file.
    public var line: Int
    /// The column the problem is in (`close`, `time`, ...), when there is one.
    public var field: String?
    public var kind: Kind
    public var detail: String

    public init(file: String, line: Int, field: String?, kind: Kind, detail: String) {
        self.file = file
        self.line = line
        self.field = field
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        let location = "\(file):\(line)"
        if let field { return "\(location): \(field): \(kind.rawValue): \(detail)" }
        return "\(location): \(kind.rawValue): \(detail)"
    }
}

/// A data file that cannot be used as it is. Lists every problem found, not just the first.
public struct DataFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var issues: [DataIssue]

    public init(file: String, issues: [DataIssue]) {
        self.file = file
        self.issues = issues
    }

    public var description: String {
        let shown = issues.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = issues.count > 20 ? "\n  ... and \(issues.count - 20) more" : ""
        return "\(file): \(issues.count) problem\(issues.count == 1 ? "" : "s") in the data:\n\(shown)\(more)"
    }
}

/// A file that could not be read at all.
public struct DataFileUnreadable: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
    public var description: String { "\(file): cannot read: \(reason)" }
}
