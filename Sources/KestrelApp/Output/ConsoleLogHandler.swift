import Foundation
import Logging
import Rainbow

/// Compact log lines for a terminal: time, level and message, then any metadata as key=value.
/// Written to standard error so that standard output stays clean for tables, CSV and JSON.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let colored: Bool

    init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
        colored = isatty(STDERR_FILENO) == 1
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let now = Date()
        let seconds = Int(now.timeIntervalSince1970)
        let clock = String(format: "%02d:%02d:%02d.%03d", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60,
                           Int(now.timeIntervalSince1970 * 1000) % 1000)
        var level = event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
        if colored {
            switch event.level {
            case .error, .critical: level = level.red
            case .warning: level = level.yellow
            case .notice: level = level.green
            case .debug, .trace: level = level.lightBlack
            case .info: break
            }
        }
        var line = "\(clock) \(level) \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
