public import KestrelCore
public import Logging
import Synchronization

/// KuCoin's market as Kestrel streams it: each symbol's history loaded once over REST, then kept current by the
/// WebSocket's candle pushes, so that a scan reads candles already in memory and costs no request.
///
/// Each symbol's indicators are kept current as its candles close (`StreamedSymbol`): a scan reads them as they stand
/// and evaluates only the symbols with a new candle since the last one.
///
/// A symbol whose newest closed candle is older than the one due is stale: `candles` refuses it and `analysis`
/// answers so (the scan skips it, so it is never traded) until the stream, or a gap filled over REST after a reconnect, brings it up
/// to date.
public final class KuCoinLiveMarket: StreamedAnalysisSource {
    /// The symbols' history as the strategy needs it: the timeframe streamed, and how many candles of each.
    public let base: Timeframe
    public let history: [(timeframe: Timeframe, count: Int)]
    /// The strategy's timeframes, which each symbol's indicator state follows.
    public let requirements: [TimeframeRequirement]
    private let rest: KuCoinMarketData
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var instruments: [Instrument] = [] { didSet { held = nil } }
        /// Each listed contract's maker and taker rates, from the same listing.
        var fees: [String: (maker: Double, taker: Double)] = [:]
        /// Changed in place at every push and scan; symbols are added and dropped only by `add` and `drop`, which
        /// keep `held` right.
        private(set) var series = StreamedSymbols()
        /// The listed instruments whose candles are held, in listing order: worked out again only once the listing
        /// or the symbols held change, not at every scan.
        private var held: [Instrument]?
        var prices: [String: Double] = [:]
        var staleSkips = 0
        /// The candle each symbol was last logged as overdue for: logged once per candle.
        var overdueLogged: [String: Timestamp] = [:]

        mutating func add(_ symbol: StreamedSymbol) {
            series.insert(symbol)
            held = nil
        }

        /// Drops a delisted symbol and everything held for it.
        mutating func drop(_ symbol: String) {
            series.remove(symbol)
            held = nil
            prices[symbol] = nil
            overdueLogged[symbol] = nil
        }

        /// Changes a held symbol's state in place; nil when it is not held.
        mutating func change<R>(_ symbol: String, _ change: (inout StreamedSymbol) -> R) -> R? {
            series.change(symbol, change)
        }

        mutating func changeAll(_ change: (inout StreamedSymbol) -> Void) { series.changeAll(change) }

        mutating func heldInstruments() -> [Instrument] {
            if let held { return held }
            let held = instruments.filter { series.contains($0.symbol) }
            self.held = held
            return held
        }
    }

    /// How long after its period ends a candle may be missing before the symbol is logged as behind: KuCoin pushes
    /// the next candle at the new period's first trade, and the feed closes a quiet symbol's candle by the clock.
    public static let overdueGrace: Int64 = 120

    /// A symbol's candles are behind: the newest closed one ends at `closedUntil`, before the one due at `due`.
    public struct StaleData: Error, Sendable, CustomStringConvertible {
        public var symbol: String
        public var closedUntil: Timestamp?
        public var due: Timestamp
        public var description: String {
            "\(symbol): candles stale (closed until \(closedUntil.map { "\($0)" } ?? "never"), due \(due))"
        }
    }

    public init(rest: KuCoinMarketData, requirements: [TimeframeRequirement],
                logger: Logger = Logger(label: "kestrel.kucoin.live")) {
        self.rest = rest
        self.logger = logger
        self.requirements = requirements
        let timeframes = requirements.map(\.timeframe)
        base = timeframes.min() ?? .oneHour
        history = requirements.map { ($0.timeframe, max($0.history, $0.minimum)) }
    }

    /// The symbols whose candles are held.
    public var symbols: [String] { state.withLock { $0.series.symbols.sorted() } }

    /// How many times a scan skipped a symbol for stale candles.
    public var staleSkips: Int { state.withLock { $0.staleSkips } }

    /// The newest price heard of `symbol`.
    public func price(_ symbol: String) -> Double? { state.withLock { $0.prices[symbol] } }

    /// The newest closed base candle of `symbol`, and the one forming.
    public func latest(_ symbol: String) -> (closed: Candle?, forming: Candle?) {
        state.withLock { state in
            state.series.read(symbol) { ($0.candles.closed[base]?.last, $0.candles.forming) } ?? (nil, nil)
        }
    }

    /// Lists the market and loads the history of every instrument `select` keeps, `parallelism` symbols at a time
    /// within the rate budget; `progress` hears each symbol done. Returns the symbols loaded; one that fails is
    /// logged and left out.
    @discardableResult
    public func warmUp(at now: Timestamp, parallelism: Int = 8,
                       select: @Sendable ([Instrument]) -> [Instrument] = { UniverseFilter().select($0) },
                       progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) async throws
        -> [String] {
        let listing = try await rest.listing()
        let listed = listing.instruments.filter(\.isActive)
        let chosen = select(listed).map(\.symbol)
        state.withLock { state in
            state.instruments = listed
            state.fees = listing.fees
        }
        return try await load(chosen, closedBy: now, parallelism: parallelism, progress: progress)
    }

    /// What a new look at the listing changed.
    public struct ListingChange: Sendable, Equatable {
        /// Symbols now streamed that were not: listed since, or newly kept by the selection.
        public var added: [String]
        /// Symbols no longer listed as open: dropped.
        public var delisted: [String]
        public var isEmpty: Bool { added.isEmpty && delisted.isEmpty }
    }

    /// Lists the market again (one request): a symbol that is no longer open is dropped, one that `select` keeps
    /// and is not held yet has its history loaded; the others keep their candles and take the new figures (24 h
    /// turnover, price). Run every so often: a venue lists new contracts every week and delists some.
    public func refresh(at now: Timestamp, parallelism: Int = 4,
                        select: @Sendable ([Instrument]) -> [Instrument] = { UniverseFilter().select($0) })
        async throws -> ListingChange {
        let listing = try await rest.listing()
        let listed = listing.instruments.filter(\.isActive)
        let open = Set(listed.map(\.symbol))
        let (delisted, new) = state.withLock { state -> ([String], [String]) in
            state.instruments = listed
            state.fees = listing.fees
            let delisted = state.series.symbols.filter { !open.contains($0) }.sorted()
            for symbol in delisted { state.drop(symbol) }
            return (delisted, select(listed).map(\.symbol).filter { !state.series.contains($0) })
        }
        for symbol in delisted { logger.notice("symbol delisted: dropped", metadata: ["symbol": "\(symbol)"]) }
        let added = try await load(new, closedBy: now, parallelism: parallelism, progress: { _, _ in })
        for symbol in added { logger.notice("symbol listed: history loaded", metadata: ["symbol": "\(symbol)"]) }
        return ListingChange(added: added, delisted: delisted)
    }

    /// Loads the history of `symbols`, `parallelism` at a time; returns the ones loaded.
    private func load(_ symbols: [String], closedBy now: Timestamp, parallelism: Int,
                      progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void) async throws -> [String] {
        var loaded = [String]()
        try await symbols.forEachConcurrently(width: parallelism, { symbol -> Bool in
            do {
                try await self.load(symbol, closedBy: now)
                return true
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                self.logger.warning("history not loaded; symbol left out",
                                    metadata: ["symbol": "\(symbol)", "error": "\(error)"])
                return false
            }
        }) { index, done in
            guard done else { return }
            loaded.append(symbols[index])
            progress(loaded.count, symbols.count)
        }
        return loaded.sorted()
    }

    /// Loads `symbol`'s history closed by `time`: higher timeframes first, then the base, which goes on to build them.
    private func load(_ symbol: String, closedBy time: Timestamp) async throws {
        var series = StreamedCandles(base: base, timeframes: history.map(\.timeframe),
                                     capacity: max(300, (history.map(\.count).max() ?? 0) * 2))
        for (timeframe, count) in history.sorted(by: { $0.timeframe > $1.timeframe }) {
            let candles = try await rest.candles(symbol: symbol, timeframe: timeframe, limit: count, closedBy: time)
            series.seed(candles, timeframe: timeframe)
        }
        let streamed = StreamedSymbol(symbol: symbol, candles: series, requirements: requirements)
        state.withLock { $0.add(streamed) }
    }

    /// Takes in a stream event heard at `now`; returns the symbols whose base candle it closed. A candle that starts
    /// after the period under way at `now` is dropped: taken as forming, it would hold back every real candle after it.
    @discardableResult
    public func apply(_ event: KuCoinStreamEvent, now: Timestamp? = nil) -> [String] {
        switch event {
        case .candle(let symbol, let timeframe, let candle):
            guard timeframe == base else { return [] }
            if let now, candle.time.seconds > now.seconds + base.seconds {
                logger.warning("candle push dropped: it starts in the future",
                               metadata: ["symbol": "\(symbol)", "start": "\(candle.time)"])
                return []
            }
            guard candle.high >= max(candle.open, candle.close, candle.low), candle.low > 0,
                  candle.low <= min(candle.open, candle.close), candle.volume >= 0, candle.high.isFinite else {
                logger.warning("candle push dropped: breaks the OHLC rules", metadata: ["symbol": "\(symbol)"])
                return []
            }
            let closed = state.withLock { state -> Int in
                state.prices[symbol] = candle.close
                return state.change(symbol) { $0.push(candle) } ?? 0
            }
            return closed > 0 ? [symbol] : []
        case .price(let symbol, let price, _):
            guard price.isFinite, price > 0 else { return [] }
            state.withLock { $0.prices[symbol] = price }
            return []
        case .connected, .disconnected:
            return []
        }
    }

    /// Closes every forming candle whose period has ended by `time`; returns their symbols.
    @discardableResult
    public func closeDue(by time: Timestamp) -> [String] {
        state.withLock { state in
            var closed = [String]()
            state.changeAll { if $0.close(dueBy: time) { closed.append($0.symbol) } }
            return closed.sorted()
        }
    }

    /// After a break in the stream: the candles each symbol missed, closed by `time`, over REST.
    public func fillGaps(closedBy time: Timestamp) async {
        let behind = state.withLock { state in
            var behind = [(String, Timestamp)]()
            state.series.forEach { series in
                if let until = series.candles.closedUntil, until + base.seconds <= time {
                    behind.append((series.symbol, until))
                }
            }
            return behind
        }
        for (symbol, until) in behind {
            do {
                let missed = try await rest.candles(symbol: symbol, timeframe: base, from: until, to: time)
                state.withLock { _ = $0.change(symbol) { $0.seed(missed, timeframe: base) } }
            } catch {
                logger.warning("gap not filled", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
            }
        }
    }

    /// The candles held for `symbol`, without the staleness check: what a signal's re-validation reads.
    public func heldCandles(_ symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) -> [Candle]? {
        state.withLock { state in
            state.series.read(symbol) { Array($0.candles.candles(timeframe, limit: limit, closedBy: time)) }
        }
    }

    /// The instruments listed at the warm-up that have candles held.
    public var heldInstruments: [Instrument] {
        state.withLock { $0.heldInstruments() }
    }

    /// Each listed contract's maker and taker fee rates, as of the last listing.
    public var fees: [String: (maker: Double, taker: Double)] {
        state.withLock { $0.fees }
    }

    // MARK: MarketDataSource

    public func instruments(at time: Timestamp) async throws -> [Instrument] {
        state.withLock { state in
            var instruments = state.heldInstruments()
            for index in instruments.indices {
                if let price = state.prices[instruments[index].symbol] { instruments[index].lastPrice = price }
            }
            return instruments
        }
    }

    public func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws
        -> [Candle] {
        try state.withLock { state in
            guard let (overdue, candles) = state.series.read(symbol, { series in
                (series.overdue(at: time), Array(series.candles.candles(timeframe, limit: limit, closedBy: time)))
            }) else { throw UnknownSymbol(symbol: symbol) }
            if timeframe == base, let (closedUntil, due) = overdue {
                state.staleSkips += 1
                logOverdue(symbol, closedUntil: closedUntil, due: due, at: time, &state)
                throw StaleData(symbol: symbol, closedUntil: closedUntil, due: due)
            }
            return candles
        }
    }

    public func analysis(of symbol: String, strategy: some Strategy, context: StrategyContext, at time: Timestamp)
        throws -> StreamedAnalysis? {
        guard strategy.requirements == requirements else { return nil }
        return try state.withLock { state in
            try analysis(of: symbol, strategy: strategy, context: context, at: time, in: &state).get()
        }
    }

    public func analyses(of symbols: [String], strategy: some Strategy, context: StrategyContext, at time: Timestamp)
        -> [Result<StreamedAnalysis?, any Error>] {
        guard strategy.requirements == requirements else { return symbols.map { _ in .success(nil) } }
        // One lock for the whole universe: a scan reads every symbol, most of them unchanged since the last one.
        return state.withLock { state in
            symbols.map { analysis(of: $0, strategy: strategy, context: context, at: time, in: &state) }
        }
    }

    private func analysis(of symbol: String, strategy: some Strategy, context: StrategyContext,
                          at time: Timestamp, in state: inout State) -> Result<StreamedAnalysis?, any Error> {
        // nil inside: the indicators are ahead of `time`, and the scanner computes its state from the candles.
        guard let answer = state.change(symbol, { $0.answer(strategy, context: context, at: time) }) else {
            return .failure(UnknownSymbol(symbol: symbol))
        }
        if case .stale(let closedUntil, let due)? = answer {
            state.staleSkips += 1
            logOverdue(symbol, closedUntil: closedUntil, due: due, at: time, &state)
        }
        return .success(answer)
    }

    /// Logs a symbol whose due candle is missing `overdueGrace` after its period ended, once per candle.
    private func logOverdue(_ symbol: String, closedUntil: Timestamp?, due: Timestamp, at time: Timestamp,
                            _ state: inout State) {
        guard time.seconds - due.seconds >= Self.overdueGrace, state.overdueLogged[symbol] != due else { return }
        state.overdueLogged[symbol] = due
        logger.warning("candles behind: not traded until they catch up", metadata: [
            "symbol": "\(symbol)", "closed_until": "\(closedUntil.map { "\($0)" } ?? "never")", "due": "\(due)",
        ])
    }
}

