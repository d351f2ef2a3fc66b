/// One symbol's candles as a live market streams them: a forming candle of the base timeframe, updated push after
/// push, and the closed candles of the base and each higher timeframe, kept up to `capacity`.
///
/// A pushed candle is taken as closed only once its period has ended: when a push of a later period arrives, or when
/// the clock passes its end (`close(dueBy:)`). A push for a period already closed changes nothing. Higher timeframes
/// are built from closed base candles on UTC boundaries, each emitted once its last base candle is in.
public struct StreamedCandles: Sendable {
    public let base: Timeframe
    public let capacity: Int
    /// Closed candles by timeframe, oldest first.
    public private(set) var closed: [Timeframe: [Candle]]
    /// The base candle of the period under way, as last pushed.
    public private(set) var forming: Candle?
    private var aggregators: [Timeframe: CandleAggregator]

    /// `timeframes` must be multiples of `base` (the base itself need not be listed).
    public init(base: Timeframe, timeframes: [Timeframe], capacity: Int = 500) {
        self.base = base
        self.capacity = max(1, capacity)
        let higher = Set(timeframes).subtracting([base]).filter { $0.isMultiple(of: base) }
        closed = Dictionary(uniqueKeysWithValues: ([base] + higher).map { ($0, []) })
        aggregators = Dictionary(uniqueKeysWithValues: higher.map { ($0, CandleAggregator(timeframe: $0)) })
    }

    /// The timeframes kept.
    public var timeframes: [Timeframe] { closed.keys.sorted() }

    /// The close time of the newest closed base candle. Kept, not looked up: a scan asks it of every symbol.
    public private(set) var closedUntil: Timestamp?

    /// Seeds `timeframe` with history (oldest first) from before the stream: candles at or before the newest one
    /// already held are skipped. Seed the higher timeframes before the base, so that the base's candles after the
    /// newest higher candle go on to build the next one.
    public mutating func seed(_ candles: [Candle], timeframe: Timeframe) {
        guard closed[timeframe] != nil else { return }
        if timeframe == base {
            for candle in candles { closeBase(candle) }
        } else {
            let newest = closed[timeframe]?.last?.time
            append(candles.filter { newest == nil || $0.time > newest! }, to: timeframe)
        }
    }

    /// A push of the base candle under way; returns how many base candles it closed (0 or 1).
    @discardableResult
    public mutating func push(_ candle: Candle) -> Int {
        guard candle.time.seconds % base.seconds == 0 || base.seconds > 86_400 else { return 0 }
        if let newest = closed[base]?.last, candle.time <= newest.time { return 0 }
        guard let current = forming else {
            forming = candle
            return 0
        }
        if candle.time < current.time { return 0 }
        if candle.time == current.time {
            forming = candle
            return 0
        }
        forming = candle
        closeBase(current)
        return 1
    }

    /// Closes the forming candle if its period has ended by `time`; true when it did.
    @discardableResult
    public mutating func close(dueBy time: Timestamp) -> Bool {
        guard let current = forming, current.time + base.seconds <= time else { return false }
        forming = nil
        closeBase(current)
        return true
    }

    /// The last `limit` candles of `timeframe` closed by `time`, oldest first.
    public func candles(_ timeframe: Timeframe, limit: Int, closedBy time: Timestamp) -> ArraySlice<Candle> {
        guard let all = closed[timeframe], limit > 0 else { return [] }
        var end = all.count
        while end > 0, all[end - 1].time + timeframe.seconds > time { end -= 1 }
        return all[max(0, end - limit)..<end]
    }

    private mutating func closeBase(_ candle: Candle) {
        if let newest = closed[base]?.last, candle.time <= newest.time { return }
        append([candle], to: base)
        for timeframe in aggregators.keys {
            var aggregator = aggregators[timeframe]!
            // A base candle inside a bucket already held (seeded history) builds nothing new.
            if let newest = closed[timeframe]?.last, candle.time < newest.time + timeframe.seconds { continue }
            var emitted = [Candle]()
            // A bucket is emitted as soon as its last base candle is in.
            aggregator.add(candle, baseTimeframe: base) { emitted.append($0) }
            aggregators[timeframe] = aggregator
            append(emitted, to: timeframe)
        }
    }

    private mutating func append(_ candles: [Candle], to timeframe: Timeframe) {
        guard !candles.isEmpty else { return }
        // Appended where the list lies: a copy taken out of the dictionary shares its storage, and appending to it
        // copied every candle held at each close.
        Self.append(candles, to: &closed[timeframe, default: []], capacity: capacity)
        if timeframe == base, let newest = closed[base]?.last { closedUntil = newest.time + base.seconds }
    }

    private static func append(_ candles: [Candle], to list: inout [Candle], capacity: Int) {
        for candle in candles where list.last.map({ candle.time > $0.time }) ?? true { list.append(candle) }
        if list.count > capacity + capacity / 4 { list.removeFirst(list.count - capacity) }
    }
}
