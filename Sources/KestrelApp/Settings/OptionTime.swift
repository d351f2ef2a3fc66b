import ArgumentParser
import KestrelCore

/// A time given on the command line, checked the same way by every command.
enum OptionTime {
    /// Parses `text` for option `name` (e.g. `--from`); with `range`, the time must fall inside the data.
    static func parse(_ text: String, option name: String, within range: ClosedRange<Timestamp>? = nil) throws
        -> Timestamp
    {
        guard let parsed = Timestamp(parsing: text) else {
            throw ValidationError("\(name) '\(text)' is not an ISO-8601 time such as 2019-07-01T00:00:00Z")
        }
        if let range, !range.contains(parsed) {
            throw ValidationError("\(name) \(parsed) is outside the data (\(range.lowerBound) to \(range.upperBound))")
        }
        return parsed
    }
}
