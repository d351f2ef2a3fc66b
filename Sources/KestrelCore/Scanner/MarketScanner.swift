public import Logging

/// Scans a market: filters the universe, evaluates every symbol's signal concurrently with bounded parallelism, and
/// ranks the actionable ones into the top opportunities.
///
/// A symbol that fails (a fetch error, bad data) is logged and skipped; the scan goes on. Cancelling the task that
/// runs `scan` stops it promptly: no new symbol is started and `CancellationError` is thrown.
public struct MarketScanner<S: Strategy>: Sendable {
    public var source: any MarketDataSource
    public var strategy: S
    public var filter: UniverseFilter
    /// How many opportunities a scan keeps.
    public var top: Int
    /// How many symbols are fetched and evaluated at once (the original used 10 worker threads).
    public var parallelism: Int
    public var context: StrategyContext
    public var logger: Logger

    public init(source: any MarketDataSource, strategy: S, filter: UniverseFilter = UniverseFilter(), top: Int = 5,
                parallelism: Int = 10, context: StrategyContext = StrategyContext(),
                logger: Logger = Logger(label: "kestrel.scanner")) {
        precondition(parallelism > 0, "a scan runs at least one symbol at a time")
        self.source = source
        self.strategy = strategy
        self.filter = filter
        self.top = top
        self.parallelism = parallelism
        self.context = context
        self.logger = logger
    }

    /// Scans the market as of `time`.
    public func scan(at time: Timestamp) async throws -> ScanResult {
        let clock = ContinuousClock()
        let started = clock.now
        let listed = try await source.instruments(at: time)
        let universe = filter.select(listed)
        var outcomes = [ScanOutcome?](repeating: nil, count: universe.count)
        if let streamed = source as? any StreamedAnalysisSource {
            // Indicator state kept by the source, read for the whole universe in one look: no I/O, so no tasks.
            let answers = streamed.analyses(of: universe.map(\.symbol), strategy: strategy, context: context, at: time)
            for (index, answer) in answers.enumerated() {
                let symbol = universe[index].symbol
                switch answer {
                case .success(.evaluated(let result)?):
                    outcomes[index] = .evaluated(result)
                case .success(.insufficientHistory(let bars, let needed)?):
                    outcomes[index] = .skipped(ScanSkip(symbol: symbol,
                                                        reason: .insufficientHistory(bars: bars, needed: needed)))
                case .success(.stale(let closedUntil, let due)?):
                    // Not logged here: at each period's start every symbol is stale until its close comes in, and a
                    // scan runs at every close. The source logs a symbol that stays behind.
                    outcomes[index] = .skipped(ScanSkip(symbol: symbol, reason: .stale(closedUntil: closedUntil,
                                                                                       due: due)))
                case .success(nil):
                    // Not the state of `time`: computed from the candles.
                    outcomes[index] = try await analyze(universe[index], at: time)
                case .failure(let error):
                    outcomes[index] = skipped(symbol, error)
                }
            }
        } else {
            try await analyzeConcurrently(universe, at: time, into: &outcomes)
        }
        try Task.checkCancellation()
        return ScanResult(outcomes, universe: universe, listed: listed.count, top: top, at: time,
                          duration: clock.now - started)
    }

    private func analyzeConcurrently(_ universe: [Instrument], at time: Timestamp,
                                     into outcomes: inout [ScanOutcome?]) async throws {
        try await universe.forEachConcurrently(width: parallelism, { try await self.analyze($0, at: time) }) {
            outcomes[$0] = $1
        }
    }

    private func analyze(_ instrument: Instrument, at time: Timestamp) async throws -> ScanOutcome {
        let symbol = instrument.symbol
        do {
            var series = [[Candle]]()
            for requirement in strategy.requirements {
                try Task.checkCancellation()
                series.append(try await source.candles(symbol: symbol, timeframe: requirement.timeframe,
                                                       limit: requirement.history, closedBy: time))
            }
            let analyzer = SymbolAnalyzer(symbol: symbol, requirements: strategy.requirements, candles: series)
            guard let result = analyzer.evaluate(strategy, context: context) else {
                return .skipped(ScanSkip(symbol: symbol, reason: .insufficientHistory(
                    bars: series[0].count, needed: strategy.primary.minimum)))
            }
            return .evaluated(result)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return skipped(symbol, error)
        }
    }

    /// A symbol whose data failed: logged and skipped, and the scan goes on.
    private func skipped(_ symbol: String, _ error: any Error) -> ScanOutcome {
        logger.warning("scan of \(symbol) failed, skipped", metadata: ["error": "\(error)"])
        return .skipped(ScanSkip(symbol: symbol, reason: .failed("\(error)")))
    }
}

/// What a scan got for one symbol. Not nested in the generic scanner: a type of a generic context has its metadata
/// looked up at run time, and a scan touched it for every symbol.
private enum ScanOutcome: Sendable {
    case evaluated(SignalResult)
    case skipped(ScanSkip)
}

extension ScanResult {
    /// The result of a scan that got `outcomes` for `universe`, in its order: the actionable ones ranked.
    fileprivate init(_ outcomes: [ScanOutcome?], universe: [Instrument], listed: Int, top: Int, at time: Timestamp,
                     duration: Duration) {
        var results = [SignalResult]()
        results.reserveCapacity(outcomes.count)
        var skipped = [ScanSkip]()
        var candidates = [Opportunity]()
        for index in outcomes.indices {
            switch outcomes[index] {
            case .evaluated(let result)?:
                results.append(result)
                if result.isActionable {
                    let instrument = universe[index]
                    let price = instrument.lastPrice > 0 ? instrument.lastPrice : result.price
                    candidates.append(Opportunity(result: result, price: price, dataTime: time,
                                                  instrument: instrument))
                }
            case .skipped(let skip)?:
                skipped.append(skip)
            case nil:
                break
            }
        }
        self.init(opportunities: Opportunity.rank(candidates, top: top), results: results,
                  skipped: skipped, listed: listed, universe: universe.map(\.symbol), asOf: time, duration: duration)
    }
}
