/// A market data source that keeps each symbol's indicator state current as its candles close (a live market).
///
/// The scanner asks it for the strategy's verdict instead of fetching candles and recomputing them: a scan then
/// costs only the candles closed since the last one, and no request.
public protocol StreamedAnalysisSource: MarketDataSource {
    /// The verdict of `strategy` on `symbol` as of `time` (or why there is none: too few candles, or candles behind
    /// `time`); nil when the source keeps no state for this strategy's timeframes or its state is not that of `time`
    /// (the scanner then fetches the candles). Throws for a symbol it does not hold.
    func analysis(of symbol: String, strategy: some Strategy, context: StrategyContext, at time: Timestamp) throws
        -> StreamedAnalysis?

    /// `analysis(of:strategy:context:at:)` of each of `symbols`, in one look at the source's state: what each
    /// gives, or throws. A scan asks this once for its whole universe.
    func analyses(of symbols: [String], strategy: some Strategy, context: StrategyContext, at time: Timestamp)
        -> [Result<StreamedAnalysis?, any Error>]
}

extension StreamedAnalysisSource {
    public func analyses(of symbols: [String], strategy: some Strategy, context: StrategyContext, at time: Timestamp)
        -> [Result<StreamedAnalysis?, any Error>] {
        symbols.map { symbol in
            Result { try analysis(of: symbol, strategy: strategy, context: context, at: time) }
        }
    }
}

/// What a streamed source answers for one symbol.
public enum StreamedAnalysis: Sendable, Equatable {
    case evaluated(SignalResult)
    /// The primary timeframe has too few candles: `bars` of the `needed`.
    case insufficientHistory(bars: Int, needed: Int)
    /// The newest closed candle ends at `closedUntil`, before the one due at `due`: not traded until it catches up.
    /// Every symbol is so for a moment at each period's start, while the venue's closes come in.
    case stale(closedUntil: Timestamp?, due: Timestamp)
}
