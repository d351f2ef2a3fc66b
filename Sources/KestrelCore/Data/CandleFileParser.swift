/// Reads candles from the formats traders already have.
///
/// - CSV with a header naming `time,open,high,low,close,volume` (any order; `timestamp`, `date` and `datetime` are
///   accepted for time) or, with no header, those six columns in that order. Time is ISO-8601 or epoch seconds or
///   milliseconds.
/// - JSON array of arrays `[[epoch_ms, open, high, low, close, volume], ...]`, as ccxt and Freqtrade write it.
///
/// Every row is checked; a bad row is never dropped silently: the parse returns the good candles *and* every issue
/// with its line, and `CandleFileParser.load` refuses a file with any issue.
public struct CandleFileParser: Sendable {
    public enum Format: String, Sendable {
        case csv
        case json
    }

    public struct Result: Sendable {
        public var candles: [Candle]
        public var issues: [DataIssue]
        /// The line each candle came from, for reporting later checks (gaps) against the file.
        public var lines: [Int]
    }

    public var fileName: String

    public init(fileName: String) { self.fileName = fileName }

    /// Parses and validates; never throws for bad rows (they are in `issues`).
    public func parse(_ bytes: [UInt8]) -> Result {
        var builder = Builder(file: fileName)
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            // Skip a UTF-8 byte-order mark.
            if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { start = 3 }
            var first = start
            while first < buffer.count, isSpace(buffer[first]) { first += 1 }
            if first < buffer.count, buffer[first] == UInt8(ascii: "[") {
                parseJSON(UnsafeBufferPointer(rebasing: buffer[first...]), lineOffset: lineCount(buffer, upTo: first),
                          into: &builder)
            } else {
                parseCSV(UnsafeBufferPointer(rebasing: buffer[start...]), into: &builder)
            }
        }
        if builder.candles.isEmpty, builder.issues.isEmpty {
            builder.issues.append(DataIssue(file: fileName, line: 1, field: nil, kind: .emptyFile,
                                            detail: "the file holds no candles"))
        }
        return Result(candles: builder.candles, issues: builder.issues, lines: builder.lines)
    }

    /// Parses and validates, throwing `DataFileError` with every issue if there is any.
    public func load(_ bytes: [UInt8]) throws(DataFileError) -> [Candle] {
        let result = parse(bytes)
        guard result.issues.isEmpty else { throw DataFileError(file: fileName, issues: result.issues) }
        return result.candles
    }

    // MARK: CSV

    private static let timeNames: Set<String> = ["time", "timestamp", "date", "datetime", "open_time", "opentime"]
    private static let columnNames = ["open", "high", "low", "close", "volume"]

    private func parseCSV(_ buffer: UnsafeBufferPointer<UInt8>, into builder: inout Builder) {
        var columns = [0, 1, 2, 3, 4, 5]  // time, open, high, low, close, volume
        var fieldCount = 6
        var lineNumber = 0
        var position = 0
        var fields = [Range<Int>]()
        fields.reserveCapacity(8)
        var sawFirstLine = false
        while position < buffer.count {
            lineNumber += 1
            var end = position
            while end < buffer.count, buffer[end] != UInt8(ascii: "\n") { end += 1 }
            var lineEnd = end
            if lineEnd > position, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            defer { position = end + 1 }
            if lineEnd == position { continue }  // blank line
            fields.removeAll(keepingCapacity: true)
            var fieldStart = position
            for i in position..<lineEnd where buffer[i] == UInt8(ascii: ",") {
                fields.append(trim(buffer, fieldStart..<i))
                fieldStart = i + 1
            }
            fields.append(trim(buffer, fieldStart..<lineEnd))

            if !sawFirstLine {
                sawFirstLine = true
                let firstField = fields[0]
                let looksLikeHeader = firstField.isEmpty
                    || !(buffer[firstField.lowerBound] &- UInt8(ascii: "0") < 10)
                if looksLikeHeader {
                    let names = fields.map {
                        String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self).lowercased()
                    }
                    guard let mapped = mapHeader(names, line: lineNumber, into: &builder) else { return }
                    columns = mapped
                    fieldCount = names.count
                    continue
                }
            }
            guard fields.count == fieldCount else {
                builder.issues.append(DataIssue(
                    file: fileName, line: lineNumber, field: nil, kind: .malformedRow,
                    detail: "expected \(fieldCount) comma-separated fields, found \(fields.count)"))
                continue
            }
            let timeRange = fields[columns[0]]
            let timeBytes = UnsafeBufferPointer(rebasing: buffer[timeRange])
            let time = Timestamp.parse(timeBytes)
            var values: (Double?, Double?, Double?, Double?, Double?) = (nil, nil, nil, nil, nil)
            values.0 = DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[fields[columns[1]]]))
            values.1 = DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[fields[columns[2]]]))
            values.2 = DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[fields[columns[3]]]))
            values.3 = DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[fields[columns[4]]]))
            values.4 = DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[fields[columns[5]]]))
            let rowFields = fields
            builder.add(line: lineNumber, time: time,
                        values: [values.0, values.1, values.2, values.3, values.4]) {
                columns.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[rowFields[$0]]), as: UTF8.self) }
            }
        }
    }

    private func mapHeader(_ names: [String], line: Int, into builder: inout Builder) -> [Int]? {
        var mapping = [Int]()
        guard let timeIndex = names.firstIndex(where: { Self.timeNames.contains($0) }) else {
            builder.issues.append(DataIssue(file: fileName, line: line, field: "time", kind: .badHeader,
                                            detail: "the header has no time column (found: \(names.joined(separator: ",")))"))
            return nil
        }
        mapping.append(timeIndex)
        for name in Self.columnNames {
            guard let index = names.firstIndex(of: name) else {
                builder.issues.append(DataIssue(file: fileName, line: line, field: name, kind: .badHeader,
                                                detail: "the header has no \(name) column (found: \(names.joined(separator: ",")))"))
                return nil
            }
            mapping.append(index)
        }
        return mapping
    }

    // MARK: JSON

    private func parseJSON(_ buffer: UnsafeBufferPointer<UInt8>, lineOffset: Int, into builder: inout Builder) {
        var reader = JSONRowReader(buffer: buffer, line: lineOffset + 1)
        do throws(JSONRowReader.Failure) {
            try reader.expect(UInt8(ascii: "["))
            reader.skipSpace()
            if reader.peek() == UInt8(ascii: "]") { return }
            var rowIndex = 0
            while true {
                reader.skipSpace()
                let rowLine = reader.line
                let items = try reader.readRow()
                rowIndex += 1
                if items.count != 6 {
                    builder.issues.append(DataIssue(
                        file: fileName, line: rowLine, field: nil, kind: .malformedRow,
                        detail: "row \(rowIndex): expected 6 values [time, open, high, low, close, volume], found \(items.count)"))
                } else {
                    let time: Timestamp? = items[0].number.flatMap { Timestamp.fromEpoch($0) }
                        ?? items[0].text.flatMap { Timestamp(parsing: $0) }
                    builder.add(line: rowLine, time: time, values: items[1...].map(\.number)) {
                        items.map(\.display)
                    }
                }
                reader.skipSpace()
                let next = try reader.next()
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { throw reader.error("expected ',' or ']' after row \(rowIndex)") }
            }
            reader.skipSpace()
            if reader.position < buffer.count { throw reader.error("unexpected text after the closing ']'") }
        } catch {
            builder.issues.append(DataIssue(file: fileName, line: error.line, field: nil, kind: .malformedRow,
                                            detail: error.message))
        }
    }

    private func lineCount(_ buffer: UnsafeBufferPointer<UInt8>, upTo end: Int) -> Int {
        var lines = 0
        for i in 0..<end where buffer[i] == UInt8(ascii: "\n") { lines += 1 }
        return lines
    }
}

@inline(__always)
private func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
}

private func trim(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var lower = range.lowerBound
    var upper = range.upperBound
    while lower < upper, buffer[lower] == UInt8(ascii: " ") || buffer[lower] == UInt8(ascii: "\"") { lower += 1 }
    while upper > lower, buffer[upper - 1] == UInt8(ascii: " ") || buffer[upper - 1] == UInt8(ascii: "\"") { upper -= 1 }
    return lower..<upper
}

/// Collects validated candles and issues row by row.
private struct Builder {
    let file: String
    var candles: [Candle] = []
    var lines: [Int] = []
    var issues: [DataIssue] = []
    private var lastTime: Timestamp?
    private var lastLine = 0

    init(file: String) {
        self.file = file
        candles.reserveCapacity(40_000)
        lines.reserveCapacity(40_000)
    }

    private static let fieldNames = ["open", "high", "low", "close", "volume"]

    /// `rowTexts` gives the row's fields as text (time first), and is called only to describe a problem.
    mutating func add(line: Int, time: Timestamp?, values: [Double?], rowTexts: () -> [String]) {
        let before = issues.count
        guard let time else {
            issues.append(DataIssue(file: file, line: line, field: "time", kind: .badTimestamp,
                                    detail: "'\(rowTexts()[0])' is not ISO-8601 or epoch seconds/milliseconds"))
            return
        }
        var cachedTexts: [String]?
        func texts(_ i: Int) -> String {
            if cachedTexts == nil { cachedTexts = Array(rowTexts().dropFirst()) }
            return cachedTexts![i]
        }
        var numbers = [Double](repeating: 0, count: 5)
        for (i, value) in values.enumerated() {
            let name = Self.fieldNames[i]
            guard let value else {
                issues.append(DataIssue(file: file, line: line, field: name, kind: .notANumber,
                                        detail: "'\(texts(i))' is not a number"))
                continue
            }
            guard value.isFinite else {
                issues.append(DataIssue(file: file, line: line, field: name, kind: .nonFinite,
                                        detail: "'\(texts(i))' is \(value.isNaN ? "NaN" : "infinite")"))
                continue
            }
            if i < 4, value <= 0 {
                issues.append(DataIssue(file: file, line: line, field: name, kind: .nonPositivePrice,
                                        detail: "\(texts(i)) must be above zero"))
                continue
            }
            if i == 4, value < 0 {
                issues.append(DataIssue(file: file, line: line, field: name, kind: .negativeVolume,
                                        detail: "\(texts(i)) is below zero"))
                continue
            }
            numbers[i] = value
        }
        if issues.count == before {
            let (open, high, low, close) = (numbers[0], numbers[1], numbers[2], numbers[3])
            if high < max(open, close) {
                issues.append(DataIssue(file: file, line: line, field: "high", kind: .highBelowBody,
                                        detail: "high \(texts(1)) is below max(open \(texts(0)), close \(texts(3)))"))
            }
            if low > min(open, close) {
                issues.append(DataIssue(file: file, line: line, field: "low", kind: .lowAboveBody,
                                        detail: "low \(texts(2)) is above min(open \(texts(0)), close \(texts(3)))"))
            }
        }
        if let lastTime {
            if time == lastTime {
                issues.append(DataIssue(file: file, line: line, field: "time", kind: .duplicate,
                                        detail: "\(time) already appears on line \(lastLine)"))
                return
            }
            if time < lastTime {
                issues.append(DataIssue(file: file, line: line, field: "time", kind: .outOfOrder,
                                        detail: "\(time) comes after \(lastTime) on line \(lastLine)"))
                return
            }
        }
        lastTime = time
        lastLine = line
        guard issues.count == before else { return }
        candles.append(Candle(time: time, open: numbers[0], high: numbers[1], low: numbers[2], close: numbers[3],
                              volume: numbers[4]))
        lines.append(line)
    }
}

/// A minimal reader for the JSON shape candle exports use: an array of arrays of numbers (or numeric strings).
private struct JSONRowReader {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    struct Item {
        var number: Double?
        var text: String?
        var display: String
    }

    let buffer: UnsafeBufferPointer<UInt8>
    var position = 0
    var line: Int

    init(buffer: UnsafeBufferPointer<UInt8>, line: Int) {
        self.buffer = buffer
        self.line = line
    }

    func error(_ message: String) -> Failure { Failure(line: line, message: message) }

    func peek() -> UInt8? { position < buffer.count ? buffer[position] : nil }

    mutating func skipSpace() {
        while position < buffer.count, isSpace(buffer[position]) {
            if buffer[position] == UInt8(ascii: "\n") { line += 1 }
            position += 1
        }
    }

    mutating func next() throws(Failure) -> UInt8 {
        skipSpace()
        guard position < buffer.count else { throw error("the JSON ends too early") }
        defer { position += 1 }
        return buffer[position]
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        let got = try next()
        guard got == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))', found '\(Character(Unicode.Scalar(got)))'")
        }
    }

    mutating func readRow() throws(Failure) -> [Item] {
        try expect(UInt8(ascii: "["))
        var items = [Item]()
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return items
        }
        while true {
            skipSpace()
            items.append(try readItem())
            let separator = try next()
            if separator == UInt8(ascii: "]") { return items }
            guard separator == UInt8(ascii: ",") else { throw error("expected ',' or ']' inside a row") }
        }
    }

    private mutating func readItem() throws(Failure) -> Item {
        guard let first = peek() else { throw error("the JSON ends too early") }
        if first == UInt8(ascii: "\"") {
            position += 1
            let start = position
            while position < buffer.count, buffer[position] != UInt8(ascii: "\"") { position += 1 }
            guard position < buffer.count else { throw error("a string is not closed") }
            let bytes = UnsafeBufferPointer(rebasing: buffer[start..<position])
            position += 1
            let text = String(decoding: bytes, as: UTF8.self)
            return Item(number: DecimalParser.parse(bytes), text: text, display: text)
        }
        let start = position
        while position < buffer.count, !isSpace(buffer[position]), buffer[position] != UInt8(ascii: ","),
              buffer[position] != UInt8(ascii: "]") {
            position += 1
        }
        let bytes = UnsafeBufferPointer(rebasing: buffer[start..<position])
        guard !bytes.isEmpty else { throw error("a value is missing") }
        let text = String(decoding: bytes, as: UTF8.self)
        return Item(number: DecimalParser.parse(bytes), text: nil, display: text)
    }
}
