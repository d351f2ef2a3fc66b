import KestrelCore
import Testing

@Suite struct CandleFileTests {
    let good = """
        time,open,high,low,close,volume
        2019-01-01T00:00:00Z,100,110,95,105,10
        2019-01-01T00:30:00Z,105,106,100,101,0
        2019-01-01T01:00:00Z,101,103,99,102,3.5
        """

    func parse(_ text: String, file: String = "data.csv") -> CandleFileParser.Result {
        CandleFileParser(fileName: file).parse(Array(text.utf8))
    }

    @Test func readsGoodCSV() throws {
        let candles = try Fixtures.candles(good)
        #expect(candles.count == 3)
        #expect(candles[0] == Candle(time: Timestamp(parsing: "2019-01-01T00:00:00Z")!, open: 100, high: 110, low: 95,
                                     close: 105, volume: 10))
        #expect(candles[2].volume == 3.5)
    }

    @Test func readsHeaderInAnyOrderCRLFBOMAndNoHeader() throws {
        let reordered = "\u{FEFF}timestamp,close,open,low,high,volume\r\n1546300800,105,100,95,110,10\r\n\r\n"
        let candles = try Fixtures.candles(reordered)
        #expect(candles.count == 1)
        #expect(candles[0].close == 105 && candles[0].open == 100 && candles[0].high == 110)
        let headerless = "1546300800000,100,110,95,105,10\n1546302600000,105,106,100,101,0\n"
        let second = try Fixtures.candles(headerless)
        #expect(second.map(\.time.seconds) == [1_546_300_800, 1_546_302_600])
    }

    @Test func readsCcxtJSON() throws {
        let json = """
            [
              [1546300800000, 100.0, 110.0, 95.0, 105.0, 10.0],
              [1546302600000, "105", "106", "100", "101", "0"]
            ]
            """
        let candles = try Fixtures.candles(json, file: "data.json")
        #expect(candles.count == 2)
        #expect(candles[1].close == 101)
        #expect(candles[1].time == Timestamp(parsing: "2019-01-01T00:30:00Z"))
    }

    /// Every kind of bad row is reported with its line and field, and the bad row is not kept.
    @Test(arguments: [
        ("2019-01-01T00:30:00Z,105,abc,100,101,1", "high", DataIssue.Kind.notANumber),
        ("2019-01-01T00:30:00Z,105,NaN,100,101,1", "high", .nonFinite),
        ("2019-01-01T00:30:00Z,105,inf,100,101,1", "high", .nonFinite),
        ("2019-01-01T00:30:00Z,0,106,100,101,1", "open", .nonPositivePrice),
        ("2019-01-01T00:30:00Z,105,106,-1,101,1", "low", .nonPositivePrice),
        ("2019-01-01T00:30:00Z,105,106,100,101,-1", "volume", .negativeVolume),
        ("2019-01-01T00:30:00Z,105,104,100,101,1", "high", .highBelowBody),
        ("2019-01-01T00:30:00Z,105,106,102,101,1", "low", .lowAboveBody),
        ("2019-01-01T00:00:00Z,105,106,100,101,1", "time", .duplicate),
        ("2018-12-31T23:30:00Z,105,106,100,101,1", "time", .outOfOrder),
        ("2019-02-30T00:00:00Z,105,106,100,101,1", "time", .badTimestamp),
        ("2019-01-01T00:30:00Z,105,106,100", nil, .malformedRow),
    ] as [(String, String?, DataIssue.Kind)])
    func reportsBadRows(row: String, field: String?, kind: DataIssue.Kind) {
        let text = "time,open,high,low,close,volume\n2019-01-01T00:00:00Z,100,110,95,105,10\n\(row)\n"
            + "2019-01-01T01:00:00Z,101,103,99,102,3.5\n"
        let result = parse(text, file: "bad.csv")
        #expect(result.issues.count == 1)
        let issue = result.issues.first
        #expect(issue?.line == 3)
        #expect(issue?.field == field)
        #expect(issue?.kind == kind)
        #expect(issue?.file == "bad.csv")
        #expect(issue.map { "\($0)".hasPrefix("bad.csv:3:") } == true)
        #expect(result.candles.count == 2)
        #expect(throws: DataFileError.self) { try CandleFileParser(fileName: "bad.csv").load(Array(text.utf8)) }
    }

    @Test func reportsEveryProblemNotJustTheFirst() {
        let text = "time,open,high,low,close,volume\n2019-01-01T00:00:00Z,x,110,95,105,10\n"
            + "2019-01-01T00:30:00Z,105,106,100,101,-3\n2019-01-01T00:30:00Z,105,106,100,101,1\n"
        let result = parse(text)
        #expect(result.issues.map(\.line) == [2, 3, 4])
    }

    @Test func reportsBadJSONWithLine() {
        let result = parse("[\n[1546300800000, 1, 2, 0.5, 1.5, 3],\n[1546302600000, 1, 2, 0.5 1.5, 3]\n]", file: "x.json")
        #expect(result.issues.count == 1)
        #expect(result.issues.first?.line == 3)
        let short = parse("[[1546300800000, 1, 2, 0.5, 1.5]]", file: "x.json")
        #expect(short.issues.first?.kind == .malformedRow)
    }

    @Test func emptyAndHeaderlessGarbage() {
        #expect(parse("").issues.first?.kind == .emptyFile)
        #expect(parse("time,open,high,low,close\n").issues.first?.kind == .badHeader)
        #expect(parse("foo,bar\n1,2\n").issues.first?.kind == .badHeader)
    }
}

@Suite struct SeriesSummaryTests {
    func series(_ offsets: [Int64], step: Int64 = 1800) -> [Candle] {
        offsets.map { Candle(time: Timestamp(seconds: 1_546_300_800 + $0 * step), open: 1, high: 1, low: 1, close: 1,
                             volume: 1) }
    }

    @Test func detectsTimeframeAndGaps() throws {
        let summary = try #require(SeriesSummary(candles: series([0, 1, 2, 5, 6, 7, 8, 12])))
        #expect(summary.timeframe == .thirtyMinutes)
        #expect(summary.gaps.count == 2)
        #expect(summary.missingCandles == 5)
        #expect(summary.largestGap?.missing == 3)
        #expect(summary.largestGap?.after == Timestamp(seconds: 1_546_300_800 + 8 * 1800))
    }

    @Test(arguments: [("BTCUSD", 35_019, 9), ("ETHUSD", 35_011, 13), ("LTCUSD", 34_989, 16), ("XRPUSD", 34_991, 14),
                      ("EOSUSD", 34_995, 17)])
    func embeddedSeriesHaveTheirDocumentedGaps(symbol: String, rows: Int, gaps: Int) throws {
        let candles = try KestrelMarketDataAccess.candles(symbol)
        let summary = try #require(SeriesSummary(candles: candles))
        #expect(summary.rows == rows)
        #expect(summary.timeframe == .thirtyMinutes)
        #expect(summary.gaps.count == gaps)
        // Two years of 30-minute candles, 2017-10-01T00:00Z to 2019-10-01T00:00Z inclusive: present + missing.
        #expect(summary.rows + summary.missingCandles == 730 * 48 + 1)
    }

    @Test func fillPolicyInsertsFlatCandles() {
        let filled = GapPolicy.fill.apply(series([0, 1, 4]), timeframe: .thirtyMinutes)
        #expect(filled.count == 5)
        #expect(filled[2].volume == 0 && filled[2].open == filled[1].close)
        #expect(GapPolicy.keep.apply(series([0, 1, 4]), timeframe: .thirtyMinutes).count == 3)
    }
}
