import KestrelCore
import Testing

/// A live market's candles: pushes of the forming candle, closes by a later push or by the clock, higher timeframes
/// built from closed base candles after seeded history.
@Suite struct StreamedCandlesTests {
    static let hour: Int64 = 3_600

    static func candle(_ hour: Int64, _ close: Double, high: Double? = nil) -> Candle {
        Candle(time: Timestamp(seconds: hour * Self.hour), open: close - 1, high: high ?? close + 1, low: close - 2,
               close: close, volume: 10)
    }

    @Test func aPushedCandleClosesOnlyWhenItsPeriodHasEnded() {
        var candles = StreamedCandles(base: .oneHour, timeframes: [])
        candles.push(Self.candle(100, 50))
        candles.push(Self.candle(100, 51, high: 60))
        #expect(candles.candles(.oneHour, limit: 10, closedBy: Timestamp(seconds: 200 * Self.hour)).isEmpty)
        // The clock passes the end of hour 100: the last push is the candle.
        let early = candles.close(dueBy: Timestamp(seconds: 101 * Self.hour - 1))
        #expect(!early)
        let due = candles.close(dueBy: Timestamp(seconds: 101 * Self.hour))
        #expect(due)
        #expect(candles.candles(.oneHour, limit: 10, closedBy: Timestamp(seconds: 101 * Self.hour))
            == [Self.candle(100, 51, high: 60)])
        // A late push of the closed hour changes nothing; a push of the next hour forms it.
        let late = candles.push(Self.candle(100, 99))
        #expect(late == 0)
        let next = candles.push(Self.candle(101, 52))
        #expect(next == 0)
        // A push of a later hour closes the one forming.
        let later = candles.push(Self.candle(102, 53))
        #expect(later == 1)
        #expect(candles.candles(.oneHour, limit: 10, closedBy: Timestamp(seconds: 102 * Self.hour)).map(\.close)
            == [51, 52])
        #expect(candles.forming == Self.candle(102, 53))
    }

    @Test func higherTimeframesFollowSeededHistoryFromClosedBaseCandles() {
        var candles = StreamedCandles(base: .oneHour, timeframes: [.fourHours])
        // Four-hour history up to the bucket of hours 96-99, then hourly history to hour 101.
        candles.seed([Candle(time: Timestamp(seconds: 92 * Self.hour), open: 1, high: 2, low: 1, close: 2, volume: 4),
                      Candle(time: Timestamp(seconds: 96 * Self.hour), open: 2, high: 3, low: 2, close: 3, volume: 4)],
                     timeframe: .fourHours)
        candles.seed((90...101).map { Self.candle($0, Double($0)) }, timeframe: .oneHour)
        #expect(candles.candles(.fourHours, limit: 10, closedBy: Timestamp(seconds: 200 * Self.hour)).count == 2)
        // Hours 102 and 103 complete the bucket of hours 100-103.
        candles.push(Self.candle(102, 102))
        candles.push(Self.candle(103, 103))
        #expect(candles.candles(.fourHours, limit: 10, closedBy: Timestamp(seconds: 104 * Self.hour)).count == 2)
        candles.close(dueBy: Timestamp(seconds: 104 * Self.hour))
        let fourHours = candles.candles(.fourHours, limit: 10, closedBy: Timestamp(seconds: 104 * Self.hour))
        #expect(fourHours.count == 3)
        let newest = fourHours.last!
        #expect(newest.time == Timestamp(seconds: 100 * Self.hour))
        #expect(newest.open == 99 && newest.close == 103 && newest.high == 104 && newest.low == 98)
        #expect(newest.volume == 40)
    }

    @Test func onlyTheNewestCandlesAreKept() {
        var candles = StreamedCandles(base: .oneHour, timeframes: [], capacity: 100)
        for hour in 0..<1_000 { candles.push(Self.candle(Int64(hour), Double(hour + 10))) }
        let kept = candles.candles(.oneHour, limit: 1_000, closedBy: Timestamp(seconds: 2_000 * Self.hour))
        #expect(kept.count >= 100 && kept.count <= 125)
        #expect(kept.last?.close == 1_008)
    }
}
