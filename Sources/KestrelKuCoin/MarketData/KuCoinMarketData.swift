public import KestrelCore
public import Logging

/// KuCoin Futures' public market data over REST: the contracts and their candles, as Kestrel's instruments and
/// candles. No key is needed.
///
/// Bad data never gets through: a contract without a field Kestrel needs is left out, a candle that breaks the OHLC
/// rules or lies in the future is dropped, each logged with the endpoint; a scan then sees what remains.
public struct KuCoinMarketData: MarketDataSource {
    public let client: KuCoinRESTClient
    public var logger: Logger

    public init(client: KuCoinRESTClient, logger: Logger = Logger(label: "kestrel.kucoin.market")) {
        self.client = client
        self.logger = logger
    }

    /// KuCoin's clock: the time of the server, in seconds.
    public func serverTime(priority: RequestPriority = .marketData) async throws -> Timestamp {
        let milliseconds = try await client.send(.serverTime, priority: priority, as: Int64.self)
        return Timestamp(seconds: milliseconds / 1_000)
    }

    /// Every contract KuCoin lists, as instruments (USDT perpetuals only), with what was left out and why.
    public func listing() async throws -> KuCoinInstruments.Listing {
        let contracts = try await client.send(.activeContracts, as: [Lenient<ContractWire>].self)
        let listing = KuCoinInstruments.listing(contracts)
        for (symbol, reason) in listing.rejected {
            logger.warning("contract left out", metadata: ["endpoint": "\(KuCoinEndpoint.activeContracts)",
                                                          "symbol": "\(symbol)", "reason": "\(reason)"])
        }
        return listing
    }

    public func instruments(at time: Timestamp) async throws -> [Instrument] {
        try await listing().instruments.filter(\.isActive)
    }

    public func candles(symbol: String, timeframe: Timeframe, limit: Int, closedBy time: Timestamp) async throws
        -> [Candle]
    {
        guard limit > 0 else { return [] }
        let start = Timestamp(seconds: (time.seconds / timeframe.seconds - Int64(limit)) * timeframe.seconds)
        let candles = try await self.candles(symbol: symbol, timeframe: timeframe, from: start, to: time)
        return Array(candles.suffix(limit))
    }

    /// The candles of `symbol` that opened at or after `from` and had closed by `to`, oldest first, paged within
    /// KuCoin's rows per request. `progress` hears each page's last candle.
    public func candles(symbol: String, timeframe: Timeframe, from: Timestamp, to: Timestamp,
                        priority: RequestPriority = .marketData,
                        progress: @Sendable ([Candle]) async throws -> Void = { _ in }) async throws -> [Candle] {
        guard let granularity = KuCoinGranularity.of(timeframe) else {
            throw KuCoinError.api(endpoint: "\(KuCoinEndpoint.klines)", status: 0, code: "granularity",
                                  message: "KuCoin has no \(timeframe) candles")
        }
        let step = timeframe.seconds
        var pageStart = Timestamp(seconds: (from.seconds + step - 1) / step * step)
        var candles = [Candle]()
        while pageStart.seconds + step <= to.seconds {
            try Task.checkCancellation()
            let pageEnd = min(to.seconds, pageStart.seconds + step * Int64(KuCoinGranularity.rowsPerRequest))
            // `to` is asked for a millisecond before the page's end: a candle opening at the end is the next page's.
            let rows = try await client.send(
                .klines, query: [("symbol", symbol), ("granularity", "\(granularity)"),
                                 ("from", "\(pageStart.seconds * 1_000)"), ("to", "\(pageEnd * 1_000 - 1)")],
                priority: priority, as: [Lenient<KlineRowWire>].self)
            let page = Self.checked(rows, symbol: symbol, timeframe: timeframe, from: pageStart,
                                    closedBy: Timestamp(seconds: pageEnd), logger: logger)
            candles.append(contentsOf: page)
            try await progress(page)
            pageStart = Timestamp(seconds: pageEnd)
        }
        return candles
    }

    /// The rows that are candles of the period asked for: closed by `closedBy`, on the timeframe's grid, and within
    /// the OHLC rules; oldest first, each time once.
    static func checked(_ rows: [Lenient<KlineRowWire>], symbol: String, timeframe: Timeframe, from: Timestamp,
                        closedBy: Timestamp, logger: Logger) -> [Candle] {
        var candles = [Candle]()
        var dropped = [String]()
        for (index, element) in rows.enumerated() {
            switch element.result {
            case .failure(let failure):
                dropped.append("data[\(index)]: \(failure.reason)")
            case .success(let row):
                let time = Timestamp(seconds: row.timeMilliseconds / 1_000)
                // Outside the period asked for (a forming candle among them): not an error, just not wanted.
                guard time >= from, time.seconds + timeframe.seconds <= closedBy.seconds else { continue }
                if let problem = Self.problem(row, timeframe: timeframe) {
                    dropped.append("data[\(index)] at \(time): \(problem)")
                    continue
                }
                candles.append(Candle(time: time, open: row.open, high: row.high, low: row.low, close: row.close,
                                      volume: row.volume))
            }
        }
        candles.sort { $0.time < $1.time }
        var unique = [Candle]()
        unique.reserveCapacity(candles.count)
        for candle in candles where unique.last?.time != candle.time { unique.append(candle) }
        if !dropped.isEmpty {
            logger.warning("candles dropped", metadata: [
                "endpoint": "\(KuCoinEndpoint.klines)", "symbol": "\(symbol)", "count": "\(dropped.count)",
                "first": "\(dropped[0])",
            ])
        }
        return unique
    }

    /// Why a row is not a candle, or nil when it is one.
    static func problem(_ row: KlineRowWire, timeframe: Timeframe) -> String? {
        let prices = [row.open, row.high, row.low, row.close]
        guard prices.allSatisfy({ $0.isFinite && $0 > 0 }) else { return "a price is not a positive number" }
        guard row.volume.isFinite, row.volume >= 0 else { return "volume \(row.volume) is negative or not a number" }
        guard row.high >= max(row.open, row.close, row.low), row.low <= min(row.open, row.close) else {
            return "high \(row.high) / low \(row.low) do not bound open \(row.open) and close \(row.close)"
        }
        // Up to a day, KuCoin's candles open on the UTC grid of their width (weeks start on Mondays, off the grid).
        guard timeframe.seconds > 86_400 || row.timeMilliseconds % (timeframe.seconds * 1_000) == 0 else {
            return "time is not on the \(timeframe) grid"
        }
        return nil
    }
}
