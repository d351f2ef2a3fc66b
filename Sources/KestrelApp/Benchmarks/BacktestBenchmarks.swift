import KestrelCore

/// Backtest throughput: the numbers `kestrel backtest` prints for itself, measured over several runs.
extension Benchmarks {
    /// Bars per second from run times: the best run and the median run, in thousands.
    private static func throughput(bars: Int, _ times: (best: Double, median: Double)) -> (best: Double, median: Double) {
        (Double(bars) / times.best * 1e9 / 1e3, Double(bars) / times.median * 1e9 / 1e3)
    }

    func smaCrossBacktest(_ candles: [Candle], instrument: Instrument, exchange: PaperExchangeSettings) -> Measurement {
        let backtest = SignalBacktest(instrument: instrument, settings: exchange, timeframe: .thirtyMinutes)
        var trades = 0
        let times = Self.time(repetitions) {
            trades = backtest.run(SMACrossStrategy(fast: 10, slow: 30), candles: candles).trades.count
        }
        let (best, median) = Self.throughput(bars: candles.count, times)
        return Measurement(name: "backtest sma-cross 10/30, \(candles.count) BTCUSD bars", unit: "k bars/s", best: best,
                           median: median, target: ">= 10,000 k bars/s on one core",
                           note: "\(trades) trades")
    }

    /// The default strategy on the engine over the embedded market, as `kestrel backtest` runs it (from 30 days in),
    /// for `days` market days or to the end.
    func engineBacktest(_ market: HistoricalMarket, strategy: DefaultStrategy, engine: EngineSettings,
                        exchange: PaperExchangeSettings, days: Int?) -> Measurement? {
        guard let range = market.timeRange else { return nil }
        let from = HistoricalMarket.defaultBacktestStart(in: range)
        let to = days.map { min(from + Int64($0) * 86_400, range.upperBound) } ?? range.upperBound
        let backtest = EngineBacktest(market: market, strategy: strategy, engineSettings: engine,
                                      exchangeSettings: exchange, from: from, to: to)
        var bars = 0
        var trades = 0
        let times = Self.time(repetitions) {
            let result = backtest.run()
            bars = result.bars
            trades = result.trades.count
        }
        let (best, median) = Self.throughput(bars: bars, times)
        return Measurement(name: "backtest default strategy on the engine, \(market.symbols.count) series, \(bars) bars",
                           unit: "k bars/s", best: best, median: median, target: ">= 1,000 k bars/s on one core",
                           note: "\(trades) trades")
    }
}
