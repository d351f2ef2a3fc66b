import Foundation
import KestrelCore
import KestrelMarketData

/// The performance measurements behind the README's numbers. Each runs its work several times and reports the
/// fastest and the median run, so one noisy moment on a shared machine does not decide the figure.
struct Benchmarks {
    struct Measurement: Encodable {
        var name: String
        var unit: String
        var best: Double
        var median: Double
        var target: String
        var note: String
    }

    var repetitions: Int
    var symbols: Int

    static func time(_ repetitions: Int, _ body: () -> Void) -> (best: Double, median: Double) {
        let clock = ContinuousClock()
        var samples = [Double]()
        for _ in 0..<repetitions {
            let start = clock.now
            body()
            let elapsed = clock.now - start
            samples.append(elapsed.nanoseconds)
        }
        return bestAndMedian(samples)
    }

    /// The fastest sample and the median (the upper one of an even count), as every benchmark reports them.
    static func bestAndMedian(_ samples: [Double]) -> (best: Double, median: Double) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        return (sorted[0], sorted[sorted.count / 2])
    }

    /// Keeps the optimiser from deleting work whose result is otherwise unused.
    @inline(never)
    static func consume<T>(_ value: T) {
        withExtendedLifetime(value) {}
    }

    func indicatorBatch(_ candles: [Candle]) -> Measurement {
        let (best, median) = Self.time(repetitions) { Self.consume(IndicatorColumns(candles: candles)) }
        return Measurement(name: "batch indicator set, \(candles.count) BTCUSD candles", unit: "ms",
                           best: best / 1e6, median: median / 1e6, target: "<= 2x TA-Lib (TA-Lib 0.8.2: 1.55 ms)",
                           note: String(format: "%.1f ns per candle", median / Double(candles.count)))
    }

    func streamingUpdate(_ candles: [Candle]) -> Measurement {
        let (best, median) = Self.time(repetitions) {
            var set = IndicatorSet()
            for candle in candles { set.update(candle) }
            Self.consume(set.snapshot)
        }
        let count = Double(candles.count)
        return Measurement(name: "streaming update of the full set", unit: "ns", best: best / count,
                           median: median / count, target: "< 1000 ns", note: "per candle, all indicators")
    }

    /// The volume profile the default strategy scores with, over every 50-bar window of the BTCUSD series: the
    /// scan's costliest single computation (a backtest works one out at most scans of most symbols).
    func volumeProfile(_ candles: [Candle]) -> Measurement {
        let bars = VolumeProfile.defaultBars
        let closes = candles.map(\.close)
        let volumes = candles.map(\.volume)
        let windows = max(0, closes.count - bars + 1)
        let (best, median) = Self.time(repetitions) {
            var found = 0.0
            for start in 0..<windows {
                let end = start + bars
                let profile = VolumeProfile(closes: closes[start..<end], volumes: volumes[start..<end],
                                            close: closes[end - 1])
                found += profile?.nearestSupport ?? 0
            }
            Self.consume(found)
        }
        let count = Double(max(windows, 1))
        return Measurement(name: "volume profile of a \(bars)-bar window", unit: "ns", best: best / count,
                           median: median / count, target: "-",
                           note: "per profile, \(VolumeProfile.defaultBins) bins, \(windows) windows")
    }

    /// A universe of `symbols` synthetic perpetuals cut from the embedded series at different times, each with the
    /// history the default strategy reads (1h x 100, 4h x 50, 1d x 30) and the next hour's candles for a rescan.
    struct Universe {
        struct Member {
            var symbol: String
            var history: [[Candle]]
            var next: [(Candle, Timeframe)]
        }

        var members: [Member]

        init(market: HistoricalMarket, strategy: DefaultStrategy, size: Int) {
            let requirements = strategy.requirements
            let series = market.symbols.compactMap { market.series[$0] }
            var members = [Member]()
            members.reserveCapacity(size)
            for index in 0..<size {
                let source = series[index % series.count]
                let start = source.base.first!.time.seconds
                // Each copy of a series looks at a different stretch of it: 40 days in, then 6 days and 7 hours
                // apart (the odd hours vary which 4h and 1d candles close on the rescan).
                let asOf = Timestamp(seconds: (start / 3600 + 40 * 24 + Int64(index / series.count) * 151) * 3600)
                let history = requirements.map {
                    Array(source.candles($0.timeframe, limit: $0.history, closedBy: asOf))
                }
                let next = requirements.compactMap { requirement -> (Candle, Timeframe)? in
                    let window = source.candles(requirement.timeframe, limit: 1, closedBy: asOf + 3600)
                    guard let candle = window.last, candle.time + requirement.timeframe.seconds > asOf else { return nil }
                    return (candle, requirement.timeframe)
                }
                members.append(Member(symbol: "\(source.instrument.symbol)-\(index)", history: history, next: next))
            }
            self.members = members
        }
    }

    func fullScan(_ universe: Universe, strategy: DefaultStrategy) -> Measurement {
        let requirements = strategy.requirements
        let (best, median) = Self.time(repetitions) {
            var actionable = 0
            for member in universe.members {
                let analyzer = SymbolAnalyzer(symbol: member.symbol, requirements: requirements,
                                              candles: member.history)
                if let result = analyzer.evaluate(strategy), result.isActionable { actionable += 1 }
            }
            Self.consume(actionable)
        }
        return Measurement(name: "full scan, \(universe.members.count) symbols (1h x100, 4h x50, 1d x30)", unit: "ms",
                           best: best / 1e6, median: median / 1e6, target: "< 25 ms on one core",
                           note: String(format: "%.1f us per symbol; the original: 17 ms per symbol",
                                        median / 1e3 / Double(universe.members.count)))
    }

    func rescan(_ universe: Universe, strategy: DefaultStrategy) -> Measurement {
        let requirements = strategy.requirements
        let clock = ContinuousClock()
        var samples = [Double]()
        for _ in 0..<repetitions {
            // Fresh analyzers for each run, built outside the timed part: the rescan is the update and evaluation.
            var analyzers = universe.members.map {
                SymbolAnalyzer(symbol: $0.symbol, requirements: requirements, candles: $0.history)
            }
            var actionable = 0
            let start = clock.now
            for index in analyzers.indices {
                for (candle, timeframe) in universe.members[index].next {
                    analyzers[index].update(candle, timeframe: timeframe)
                }
                if let result = analyzers[index].evaluate(strategy), result.isActionable { actionable += 1 }
            }
            let elapsed = clock.now - start
            Self.consume(actionable)
            samples.append(elapsed.nanoseconds)
        }
        let (best, median) = Self.bestAndMedian(samples)
        return Measurement(name: "rescan after one new candle per symbol", unit: "ms", best: best / 1e6,
                           median: median / 1e6, target: "< 2 ms",
                           note: String(format: "%.2f us per symbol, streaming state kept",
                                        median / 1e3 / Double(universe.members.count)))
    }

    func asyncScan(_ market: HistoricalMarket, strategy: DefaultStrategy) async throws -> Measurement {
        let scanner = MarketScanner(source: market, strategy: strategy)
        let asOf = market.timeRange!.upperBound
        let clock = ContinuousClock()
        var samples = [Double]()
        for _ in 0..<repetitions {
            let start = clock.now
            _ = try await scanner.scan(at: asOf)
            let elapsed = clock.now - start
            samples.append(elapsed.milliseconds)
        }
        let (best, median) = Self.bestAndMedian(samples)
        return Measurement(name: "MarketScanner.scan of the embedded market (5 symbols, fetch + evaluate)", unit: "ms",
                           best: best, median: median, target: "-",
                           note: "10 symbols in flight, resampled history sliced per scan")
    }
}

/// Peak and current resident memory of this process, from /proc (Linux).
enum ProcessMemory {
    static func kilobytes(_ key: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    static var peakMegabytes: Double? { kilobytes("VmHWM").map { Double($0) / 1024 } }
    static var residentMegabytes: Double? { kilobytes("VmRSS").map { Double($0) / 1024 } }
}
