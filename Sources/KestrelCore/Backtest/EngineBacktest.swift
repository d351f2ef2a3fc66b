import Synchronization

/// The live engine (scanner ranking, trader, monitor, risk, paper exchange) driven synchronously over history at
/// full speed. Nothing here decides anything: it feeds the same `TradingEngine` the services feed in a paper or
/// live run, on a simulated clock.
///
/// Order of events for each bar (all symbols that have a bar at that time, together):
/// 1. the price path inside the bar, each point at its own time: open (t), the nearer extreme (t + 1/3: the low for
///    a bar that closes up, the high for one that closes down), the other extreme (t + 2/3), the close (t + 1); a
///    stop or a limit on the exchange fills where the path first reaches it; the engine's exits (take profit,
///    partials, trailing, break-even) see each point; a monitor tick (maximum hold, momentum reversal) follows
///    the close;
/// 2. at the close, the bar's candles close on every timeframe, every symbol whose primary timeframe moved is
///    re-evaluated, the universe is filtered by 24 h volume and ranked, and the snapshot goes to the engine, which
///    trades it at the close price.
/// Data only changes when a candle closes, so scanning at each base candle's close sees what scanning every
/// CHECK_INTERVAL would.
public struct EngineBacktest<S: Strategy>: Sendable {
    public var market: HistoricalMarket
    public var strategy: S
    public var engineSettings: EngineSettings
    public var exchangeSettings: PaperExchangeSettings
    public var filter: UniverseFilter
    public var top: Int
    public var from: Timestamp
    public var to: Timestamp

    public init(market: HistoricalMarket, strategy: S, engineSettings: EngineSettings,
                exchangeSettings: PaperExchangeSettings, filter: UniverseFilter = UniverseFilter(), top: Int = 5,
                from: Timestamp, to: Timestamp) {
        self.market = market
        self.strategy = strategy
        self.engineSettings = engineSettings
        self.exchangeSettings = exchangeSettings
        self.filter = filter
        self.top = top
        self.from = from
        self.to = to
    }

    /// The latest verdict per symbol: the backtest's re-validation reads what its own scan computed.
    final class LatestSignals: SignalRevalidator {
        /// Each symbol's slot, and the index in `results` of the symbol in each slot (its first place in the list).
        let slots: SymbolSlots
        let indexBySlot: [Int]
        /// By symbol index; nil where the last scan had no verdict.
        let results: Mutex<[SignalResult?]>

        init(symbols: [String]) {
            var slots = SymbolSlots()
            var indexBySlot = [Int]()
            for (index, symbol) in symbols.enumerated() where slots.slot(of: symbol) == nil {
                _ = slots.slot(adding: symbol)
                indexBySlot.append(index)
            }
            self.slots = slots
            self.indexBySlot = indexBySlot
            results = Mutex(Array(repeating: nil, count: symbols.count))
        }

        func revalidate(symbol: String, at time: Timestamp) -> SignalResult? {
            guard let index = index(of: symbol) else { return nil }
            return results.withLock { $0[index] }
        }

        func momentumAndRSI(symbol: String, at time: Timestamp) -> (momentum: Double, rsi: Double)? {
            guard let index = index(of: symbol) else { return nil }
            return results.withLock { results in results[index].map { ($0.momentum, $0.rsi) } }
        }

        private func index(of symbol: String) -> Int? { slots.slot(of: symbol).map { indexBySlot[$0] } }
    }

    /// One symbol's candles on one timeframe, fed to its analyzer as they close. The feeds of a run are kept in one
    /// array and read in place: copying each one's candles out (as a nested array would be read) retains and
    /// releases them at every step.
    struct CandleFeed {
        let symbol: Int
        let candles: [Candle]
        let timeframe: Timeframe
        /// Whether a candle here moves the strategy's primary timeframe (and so calls for a scan).
        let isPrimary: Bool
        /// The next candle to feed.
        private(set) var cursor: Int
        /// When it closes; never, past the last.
        private(set) var nextClose = Timestamp(seconds: .max)

        init(symbol: Int, candles: [Candle], timeframe: Timeframe, isPrimary: Bool, cursor: Int) {
            self.symbol = symbol
            self.candles = candles
            self.timeframe = timeframe
            self.isPrimary = isPrimary
            self.cursor = cursor
            nextClose = close(at: cursor)
        }

        private func close(at cursor: Int) -> Timestamp {
            cursor < candles.count ? candles[cursor].time + timeframe.seconds : Timestamp(seconds: .max)
        }

        /// Feeds every candle closed by `time` to `analyzer`; true when that moved the primary timeframe.
        mutating func feed(until time: Timestamp, into analyzer: inout SymbolAnalyzer) -> Bool {
            var fed = false
            while nextClose <= time {
                analyzer.update(candles[cursor], timeframe: timeframe)
                cursor += 1
                nextClose = close(at: cursor)
                fed = true
            }
            return fed && isPrimary
        }
    }

    // The default strategy's run is compiled for it here, once: a caller in another module would otherwise get the
    // generic code, which reaches the strategy and its verdicts through witness tables at every evaluation.
    @_specialize(exported: true, where S == DefaultStrategy)
    public func run(progress: (Double) -> Void = { _ in }) -> BacktestResult {
        let clock = ContinuousClock()
        let started = clock.now
        let series = market.symbols.compactMap { market.series[$0] }
        let requirements = strategy.requirements
        let instruments = series.map(\.instrument)
        let symbols = instruments.map(\.symbol)
        let signals = LatestSignals(symbols: symbols)
        // Nobody reads the engine's notes here (trades come from its statistics): it need not write them.
        var settings = engineSettings
        settings.recordsNotes = false
        // Every stop move counts in a backtest: the spacing that spares a live venue's rate limit would drop moves
        // made a second apart (a bar's close and the next bar's open share a second), with no rate limit to spare.
        settings.stopAmendIntervalSeconds = 0
        let engine = TradingEngine(settings: settings, instruments: instruments,
                                   startingCash: exchangeSettings.startingBalance, revalidator: signals,
                                   startTime: from, runID: RunID(startedAt: from, entropy: 0))
        var desk = PaperDesk(engine: engine, exchange: PaperExchange(instruments: instruments,
                                                                     settings: exchangeSettings))
        desk.recordsJournal = false
        // Nor are the reasons behind each verdict shown: the strategy need not write them down.
        let context = StrategyContext(explains: false)
        // Prices go to the exchange and the engine by slot, looked up once here.
        let routes = symbols.map { desk.route($0) }
        // The loop reads plain arrays indexed by symbol, never a whole `Series`: copying one per bar is not free.
        let bases = series.map(\.base)
        let barSeconds = series.map { $0.baseTimeframe.seconds }
        // Warm each symbol's indicators on the history before `from`, then feed candles as they close: one feed per
        // symbol and requirement, symbol by symbol.
        var analyzers = [SymbolAnalyzer]()
        var feeds = [CandleFeed]()
        for (index, s) in series.enumerated() {
            var analyzer = SymbolAnalyzer(symbol: s.instrument.symbol, requirements: requirements)
            for (r, requirement) in requirements.enumerated() {
                let candles = s.resampled[requirement.timeframe] ?? []
                let end = HistoricalMarket.Series.endIndex(candles, timeframe: requirement.timeframe, closedBy: from)
                for candle in candles[max(0, end - max(requirement.history, 300))..<end] {
                    analyzer.update(candle, timeframe: requirement.timeframe)
                }
                feeds.append(CandleFeed(symbol: index, candles: candles, timeframe: requirement.timeframe,
                                        isPrimary: r == 0, cursor: end))
            }
            analyzers.append(analyzer)
        }
        var soonestClose = feeds.map(\.nextClose).min() ?? Timestamp(seconds: .max)
        var baseCursor = bases.map { base in base.firstIndex { $0.time >= from } ?? base.count }
        // Per symbol: the first price in the period, and the latest close.
        let firstPrices = bases.indices.map { baseCursor[$0] < bases[$0].count ? bases[$0][baseCursor[$0]].open : nil }
        var lastCloses = firstPrices
        let totalBars = bases.indices.reduce(0) { total, index in
            total + bases[index][baseCursor[index]...].prefix { $0.time < to }.count
        }
        var bars = 0
        var equity = [(time: Timestamp, equity: Double)]()
        var sequence = 0
        var reported = 0
        var batch = [Int]()  // symbols with a bar at the current time
        var listed = instruments
        let isMajor = filter.isMajor(listed)
        var volumeWindows = series.map(\.volumeWindow)
        // Each scan's verdicts and opportunities, in arrays kept from one scan to the next. The opportunities are
        // ranked where they lie and go to the engine as the snapshot's. Two arrays take turns: the one a scan fills
        // is the one the engine let go of when the previous snapshot replaced it, so it is not shared.
        var results = [SignalResult?](repeating: nil, count: series.count)
        var candidates = [Opportunity]()
        var previousCandidates = [Opportunity]()
        var universe = [Bool]()

        while true {
            var next: Timestamp?
            for index in bases.indices where baseCursor[index] < bases[index].count {
                let time = bases[index][baseCursor[index]].time
                if next == nil || time < next! { next = time }
            }
            guard let time = next, time < to else { break }
            batch.removeAll(keepingCapacity: true)
            for index in bases.indices
            where baseCursor[index] < bases[index].count && bases[index][baseCursor[index]].time == time {
                batch.append(index)
            }
            let seconds = barSeconds[batch[0]]
            for step in 0..<4 {
                let at = time + seconds * Int64(step) / 3
                for index in batch {
                    let candle = bases[index][baseCursor[index]]
                    let (first, second) = candle.close >= candle.open ? (candle.low, candle.high)
                        : (candle.high, candle.low)
                    let price = step == 0 ? candle.open : step == 1 ? first : step == 2 ? second : candle.close
                    if let route = routes[index] {
                        desk.feed(route, price, at: at, continuous: step != 0)
                    } else {
                        _ = desk.price(symbols[index], price, at: at, continuous: step != 0)
                    }
                }
            }
            let closeTime = time + seconds
            desk.feed(.tick(closeTime), at: closeTime)
            bars += batch.count
            for index in batch {
                lastCloses[index] = bases[index][baseCursor[index]].close
                baseCursor[index] += 1
            }

            // Candles that closed now, on every timeframe, then the scan. Most steps close none on most timeframes:
            // the next close of each is kept at hand, so the candles themselves are read only when one closes, and
            // the soonest of them all, so that a step that closes none (every other one, with 30-minute bars and a
            // 1-hour primary timeframe) looks at none.
            var changed = false
            if soonestClose <= closeTime {
                soonestClose = Timestamp(seconds: .max)
                for feed in feeds.indices {
                    if feeds[feed].nextClose <= closeTime {
                        changed = feeds[feed].feed(until: closeTime, into: &analyzers[feeds[feed].symbol]) || changed
                    }
                    soonestClose = min(soonestClose, feeds[feed].nextClose)
                }
            }
            if changed {
                swap(&candidates, &previousCandidates)
                candidates.removeAll(keepingCapacity: true)
                for index in listed.indices {
                    listed[index].quoteVolume24h = volumeWindows[index].quoteVolume24h(at: closeTime)
                    listed[index].lastPrice = lastCloses[index] ?? 0
                }
                filter.keeps(listed, isMajor: isMajor, into: &universe)
                for index in analyzers.indices {
                    results[index] = nil
                    // Read where it lies: through the array, the whole analyzer (its indicator state, over a
                    // kilobyte a timeframe) would be copied out for the call.
                    guard universe[index], let result = analyzers[index].evaluateInPlace(strategy, context: context)
                    else { continue }
                    results[index] = result
                    if result.isActionable {
                        candidates.append(Opportunity(result: result, price: listed[index].lastPrice > 0
                                                          ? listed[index].lastPrice : result.price,
                                                      dataTime: closeTime, instrument: listed[index]))
                    }
                }
                // Swapped, not copied: the next scan overwrites this array in place, unshared.
                signals.results.withLock { swap(&$0, &results) }
                sequence += 1
                Opportunity.rank(&candidates, top: top)
                let snapshot = ScanSnapshot(sequence: sequence, opportunities: candidates, scanStarted: closeTime,
                                            scanFinished: closeTime)
                desk.feed(.snapshot(snapshot), at: closeTime)
            }
            equity.append((closeTime, desk.engine.equity))
            if bars - reported >= 5_000 {
                reported = bars
                progress(Double(bars) / Double(max(totalBars, 1)))
            }
        }
        let end = equity.last?.time ?? from
        _ = desk.handle(.shutdown(end), at: end)
        progress(1)
        let elapsed = clock.now - started
        let trades = desk.engine.statistics.closedTrades.map {
            BacktestTrade(symbol: $0.symbol, side: $0.side, lots: $0.lots, entryTime: $0.openedAt,
                          exitTime: $0.closedAt, entryPrice: $0.entryPrice, exitPrice: $0.exitPrice, pnl: $0.pnl,
                          fees: $0.fees, reason: $0.reason.rawValue)
        }
        if let last = equity.indices.last { equity[last].equity = desk.engine.equity }
        return BacktestResult(
            trades: trades, equity: equity, startingBalance: exchangeSettings.startingBalance, bars: bars,
            wallSeconds: elapsed.totalSeconds,
            marketMoves: Dictionary(uniqueKeysWithValues: symbols.indices.compactMap { index in
                firstPrices[index].map { (symbols[index], ($0, lastCloses[index] ?? $0)) }
            }), ordersSent: desk.engine.ordersMade, stopsReplaced: desk.engine.statistics.stopsReplaced)
    }
}
