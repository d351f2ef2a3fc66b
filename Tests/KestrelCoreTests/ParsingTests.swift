import KestrelCore
import Testing

@Suite struct DecimalParserTests {
    @Test(arguments: ["0", "1", "-1", "4367.1", "0.72508", "281237.35098495", "1e-5", "2.5E+3", "123456789012345678901234",
                      "0.000000000000000000000001234", "9007199254740993", "1.7976931348623157e308", "+3.25", "5."])
    func matchesTheStandardLibrary(_ text: String) {
        #expect(DecimalParser.parse(text) == Double(text))
    }

    @Test func randomDecimalsRoundTripExactly() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...15, using: &generator)
            let mantissa = UInt64.random(in: 0..<UInt64(pow10(digits)), using: &generator)
            let places = Int.random(in: 0...digits, using: &generator)
            var text = String(mantissa)
            if places > 0 {
                text = String(repeating: "0", count: max(0, places + 1 - text.count)) + text
                text.insert(".", at: text.index(text.endIndex, offsetBy: -places))
            }
            #expect(DecimalParser.parse(text) == Double(text), "\(text)")
        }
    }

    @Test func namesSpecialValuesAndRejectsText() {
        #expect(DecimalParser.parse("NaN")!.isNaN)
        #expect(DecimalParser.parse("-inf") == -.infinity)
        #expect(DecimalParser.parse("Infinity") == .infinity)
        for bad in ["", "abc", "1.2.3", "12a", "-", ".", "1e", "0x10", "1,5"] {
            #expect(DecimalParser.parse(bad) == nil, "\(bad)")
        }
    }

    private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { value, _ in value * 10 } }
}

@Suite struct TimestampTests {
    @Test func parsesISO8601Variants() {
        let expected = Timestamp(seconds: 1_569_886_200)  // 2019-09-30T23:30:00Z
        for text in ["2019-09-30T23:30:00Z", "2019-09-30 23:30:00", "2019-09-30T23:30:00.000Z",
                     "2019-10-01T01:30:00+02:00", "2019-10-01T01:30:00+0200", "2019-09-30T18:30:00-05:00",
                     "2019-09-30T23:30Z", "1569886200", "1569886200000"] {
            #expect(Timestamp(parsing: text) == expected, "\(text)")
        }
        #expect(Timestamp(parsing: "2019-10-01") == Timestamp(seconds: 1_569_888_000))
    }

    @Test func rejectsImpossibleDates() {
        for text in ["2019-02-30T00:00:00Z", "2019-13-01", "2019-1-1", "2019-09-30T24:00:00Z", "yesterday", "",
                     "2019-09-30T23:30:00Q", "-5", "12.5"] {
            #expect(Timestamp(parsing: text) == nil, "\(text)")
        }
        #expect(Timestamp(parsing: "2020-02-29T00:00:00Z") != nil)
        #expect(Timestamp(parsing: "2100-02-29T00:00:00Z") == nil)
    }

    @Test func formatsAndRoundTrips() {
        #expect(Timestamp(seconds: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 951_782_400).iso8601 == "2000-02-29T00:00:00Z")
        for seconds in stride(from: Int64(-86_400 * 400), to: 4_102_444_800, by: 7_777_777) {
            let stamp = Timestamp(seconds: seconds)
            #expect(Timestamp(parsing: stamp.iso8601) == stamp, "\(stamp)")
        }
    }
}

@Suite struct TimeframeTests {
    @Test func parsesAndPrints() {
        #expect(Timeframe("30m") == .thirtyMinutes)
        #expect(Timeframe("4h") == .fourHours)
        #expect(Timeframe("1D") == .oneDay)
        #expect(Timeframe("0h") == nil)
        #expect(Timeframe("h") == nil)
        #expect(Timeframe("5x") == nil)
        #expect(Timeframe.fourHours.description == "4h")
        #expect(Timeframe(seconds: 90).description == "90s")
    }

    @Test func bucketsAlignToUTC() {
        let time = Timestamp(parsing: "2019-06-01T13:45:00Z")!
        #expect(Timeframe.fourHours.bucketStart(time) == Timestamp(parsing: "2019-06-01T12:00:00Z"))
        #expect(Timeframe.oneDay.bucketStart(time) == Timestamp(parsing: "2019-06-01T00:00:00Z"))
        #expect(Timeframe.oneHour.bucketStart(time) == Timestamp(parsing: "2019-06-01T13:00:00Z"))
    }
}
