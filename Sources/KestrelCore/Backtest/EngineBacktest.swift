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
        let results = Mutex<[String: SignalResult]>([:])
        func revalidate(symbol: String, at time: Timestamp) -> SignalResult? { results.withLock { $0[symbol] } }
    }

    public func run(progress: (Double) -> Void = { _ in }) -> BacktestResult {
        let clock = ContinuousClock()
        let started = clock.now
        let series = market.symbols.compactMap { market.series[$0] }
        let requirements = strategy.requirements
        let signals = LatestSignals()
        let instruments = series.map(\.instrument)
        let engine = TradingEngine(settings: engineSettings, instruments: instruments,
                                   startingCash: exchangeSettings.startingBalance, revalidator: signals,
                                   startTime: from)
        var desk = PaperDesk(engine: engine, exchange: PaperExchange(instruments: instruments,
                                                                     settings: exchangeSettings))

        // Warm each symbol's indicators on the history before `from`, then feed candles as they close.
        var analyzers = [SymbolAnalyzer]()
        var cursors = [[Int]]()  // per symbol, per requirement: next resampled candle to feed
        for s in series {
            var analyzer = SymbolAnalyzer(symbol: s.instrument.symbol, requirements: requirements)
            var perTimeframe = [Int]()
            for requirement in requirements {
                let candles = s.resampled[requirement.timeframe] ?? []
                let end = HistoricalMarket.Series.endIndex(candles, timeframe: requirement.timeframe, closedBy: from)
                for candle in candles[max(0, end - max(requirement.history, 300))..<end] {
                    analyzer.update(candle, timeframe: requirement.timeframe)
                }
                perTimeframe.append(end)
            }
            analyzers.append(analyzer)
            cursors.append(perTimeframe)
        }
        var baseCursor = series.map { s in s.base.firstIndex { $0.time >= from } ?? s.base.count }
        let firstCloses = Dictionary(uniqueKeysWithValues: series.enumerated().compactMap { index, s in
            baseCursor[index] < s.base.count ? (s.instrument.symbol, s.base[baseCursor[index]].open) : nil
        })
        var lastCloses = firstCloses
        let totalBars = series.enumerated().reduce(0) { total, item in
            total + item.element.base[baseCursor[item.offset]...].prefix { $0.time < to }.count
        }
        var bars = 0
        var equity = [(time: Timestamp, equity: Double)]()
        var sequence = 0
        var reported = 0

        while true {
            var next: Timestamp?
            for (index, s) in series.enumerated() where baseCursor[index] < s.base.count {
                let time = s.base[baseCursor[index]].time
                if next == nil || time < next! { next = time }
            }
            guard let time = next, time < to else { break }
            var batch = [(index: Int, candle: Candle)]()
            for (index, s) in series.enumerated()
            where baseCursor[index] < s.base.count && s.base[baseCursor[index]].time == time {
                batch.append((index, s.base[baseCursor[index]]))
                baseCursor[index] += 1
            }
            let timeframe = series[batch[0].index].baseTimeframe
            for step in 0..<4 {
                let at = time + timeframe.seconds * Int64(step) / 3
                for (index, candle) in batch {
                    let (first, second) = candle.close >= candle.open ? (candle.low, candle.high)
                        : (candle.high, candle.low)
                    let price = step == 0 ? candle.open : step == 1 ? first : step == 2 ? second : candle.close
                    _ = desk.price(series[index].instrument.symbol, price, at: at, continuous: step != 0)
                }
            }
            let closeTime = time + timeframe.seconds
            _ = desk.handle(.tick(closeTime), at: closeTime)
            bars += batch.count
            for (index, candle) in batch { lastCloses[series[index].instrument.symbol] = candle.close }

            // Candles that closed now, on every timeframe, then the scan.
            var changed = false
            for (index, s) in series.enumerated() {
                for (r, requirement) in requirements.enumerated() {
                    guard let candles = s.resampled[requirement.timeframe] else { continue }
                    while cursors[index][r] < candles.count,
                          candles[cursors[index][r]].time + requirement.timeframe.seconds <= closeTime {
                        analyzers[index].update(candles[cursors[index][r]], timeframe: requirement.timeframe)
                        cursors[index][r] += 1
                        if r == 0 { changed = true }
                    }
                }
            }
            if changed {
                var results = [String: SignalResult]()
                var candidates = [Opportunity]()
                let listed = series.map { s -> Instrument in
                    var instrument = s.instrument
                    instrument.quoteVolume24h = s.quoteVolume24h(at: closeTime)
                    instrument.lastPrice = lastCloses[s.instrument.symbol] ?? 0
                    return instrument
                }
                let universe = Set(filter.select(listed).map(\.symbol))
                for (index, analyzer) in analyzers.enumerated() {
                    guard universe.contains(listed[index].symbol),
                          let result = analyzer.evaluate(strategy) else { continue }
                    results[result.symbol] = result
                    if result.isActionable {
                        candidates.append(Opportunity(result: result, price: listed[index].lastPrice > 0
                                                          ? listed[index].lastPrice : result.price,
                                                      dataTime: closeTime, instrument: listed[index]))
                    }
                }
                signals.results.withLock { $0 = results }
                sequence += 1
                let snapshot = ScanSnapshot(sequence: sequence, opportunities: MarketScanner<S>.rank(candidates, top: top),
                                            scanStarted: closeTime, scanFinished: closeTime)
                _ = desk.handle(.snapshot(snapshot), at: closeTime)
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
            marketMoves: Dictionary(uniqueKeysWithValues: firstCloses.map { ($0.key, ($0.value, lastCloses[$0.key] ?? $0.value)) }))
    }
}
