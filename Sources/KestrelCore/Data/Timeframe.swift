/// A candle duration aligned to UTC boundaries (a 4h candle opens at 00:00, 04:00, ... UTC).
public struct Timeframe: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let seconds: Int64

    public init(seconds: Int64) {
        precondition(seconds > 0, "a timeframe lasts a positive number of seconds")
        self.seconds = seconds
    }

    public static let oneMinute = Timeframe(seconds: 60)
    public static let fiveMinutes = Timeframe(seconds: 300)
    public static let fifteenMinutes = Timeframe(seconds: 900)
    public static let thirtyMinutes = Timeframe(seconds: 1800)
    public static let oneHour = Timeframe(seconds: 3600)
    public static let fourHours = Timeframe(seconds: 14_400)
    public static let oneDay = Timeframe(seconds: 86_400)

    public static func < (lhs: Timeframe, rhs: Timeframe) -> Bool { lhs.seconds < rhs.seconds }

    /// Parses `30m`, `1h`, `4h`, `1d`, `1w` or a number of seconds such as `1800s`.
    public init?(_ text: String) {
        let lower = text.lowercased()
        guard let unit = lower.last, let amount = Int64(lower.dropLast()), amount > 0 else { return nil }
        switch unit {
        case "s": self.init(seconds: amount)
        case "m": self.init(seconds: amount * 60)
        case "h": self.init(seconds: amount * 3600)
        case "d": self.init(seconds: amount * 86_400)
        case "w": self.init(seconds: amount * 604_800)
        default: return nil
        }
    }

    public var description: String {
        if seconds % 604_800 == 0 { return "\(seconds / 604_800)w" }
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Open time of the bucket that contains `time`.
    public func bucketStart(_ time: Timestamp) -> Timestamp {
        let s = time.seconds
        let floored = s >= 0 ? s / seconds * seconds : ((s - seconds + 1) / seconds) * seconds
        return Timestamp(seconds: floored)
    }

    /// Whether a timeframe of this length can be built from candles of `base` (a whole multiple).
    public func isMultiple(of base: Timeframe) -> Bool { seconds % base.seconds == 0 && seconds >= base.seconds }
}
