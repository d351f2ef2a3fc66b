/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Candles, scans and orders are stamped in UTC seconds: every exchange aligns candles to whole seconds, and an
/// integer keeps comparisons, bucketing and hashing exact and cheap.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.seconds < rhs.seconds }

    public static func + (lhs: Timestamp, rhs: Int64) -> Timestamp { Timestamp(seconds: lhs.seconds + rhs) }

    public static func - (lhs: Timestamp, rhs: Int64) -> Timestamp { Timestamp(seconds: lhs.seconds - rhs) }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Int64 { lhs.seconds - rhs.seconds }

    /// ISO-8601 in UTC, e.g. `2019-09-30T23:30:00Z`.
    public var description: String { iso8601 }

    public var iso8601: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// Parses ISO-8601 (`2019-09-30T23:30:00Z`, `2019-09-30 23:30:00`, `2019-09-30T23:30:00.000+02:00`,
    /// `2019-09-30`) or a plain number of epoch seconds or milliseconds. Returns nil when the text is neither.
    public init?(parsing text: some StringProtocol) {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
        while let first = bytes.first, first == UInt8(ascii: " ") { bytes.removeFirst() }
        guard let value = bytes.withUnsafeBufferPointer({ Timestamp.parse($0) }) else { return nil }
        self = value
    }

    /// Parses a timestamp from raw bytes (see `init?(parsing:)`).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        if let iso = parseISO8601(bytes) { return iso }
        guard let number = DecimalParser.parse(bytes), number.isFinite, number >= 0 else { return nil }
        return fromEpoch(number)
    }

    /// Epoch seconds or milliseconds: a value above 1e11 is taken as milliseconds (1e11 s is the year 5138).
    public static func fromEpoch(_ number: Double) -> Timestamp? {
        guard number.isFinite, number >= 0, number < 1e15, number.rounded(.towardZero) == number || number > 1e11
        else { return nil }
        if number > 1e11 { return Timestamp(seconds: Int64((number / 1000).rounded(.down))) }
        return Timestamp(seconds: Int64(number))
    }

    private static func parseISO8601(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        // YYYY-MM-DD is the least we accept.
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in from..<(from + count) {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                value = value * 10 + Int64(d)
            }
            return value
        }
        guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month)
        else { return nil }
        var secondsOfDay: Int64 = 0
        var index = 10
        if index < b.count, b[index] == UInt8(ascii: "T") || b[index] == UInt8(ascii: " ") {
            guard let hour = digits(11, 2), b.count > 13, b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
                  hour < 24, minute < 60 else { return nil }
            secondsOfDay = hour * 3600 + minute * 60
            index = 16
            if index < b.count, b[index] == UInt8(ascii: ":") {
                guard let second = digits(17, 2), second < 61 else { return nil }
                secondsOfDay += min(second, 59)
                index = 19
                if index < b.count, b[index] == UInt8(ascii: ".") {
                    index += 1
                    let start = index
                    while index < b.count, b[index] &- UInt8(ascii: "0") < 10 { index += 1 }
                    guard index > start else { return nil }
                }
            }
        }
        var offset: Int64 = 0
        if index < b.count {
            switch b[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = b[index] == UInt8(ascii: "+") ? 1 : -1
                guard let hours = digits(index + 1, 2) else { return nil }
                var minutes: Int64 = 0
                var next = index + 3
                if next < b.count, b[next] == UInt8(ascii: ":") { next += 1 }
                if next < b.count {
                    guard let m = digits(next, 2) else { return nil }
                    minutes = m
                    next += 2
                }
                offset = sign * (hours * 3600 + minutes * 60)
                index = next
            default:
                return nil
            }
        }
        guard index == b.count else { return nil }
        let days = CivilCalendar.days(fromCivil: year, month, day)
        return Timestamp(seconds: days * 86_400 + secondsOfDay - offset)
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

/// Proleptic Gregorian calendar arithmetic (H. Hinnant's days-from-civil algorithms), so that parsing and
/// printing UTC timestamps needs neither Foundation's formatters nor time zones.
enum CivilCalendar {
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
