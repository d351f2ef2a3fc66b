/// One round trip of a backtest.
public struct BacktestTrade: Sendable, Equatable, Codable {
    public var symbol: String
    public var side: PositionSide
    public var lots: Int
    public var entryTime: Timestamp
    public var exitTime: Timestamp
    public var entryPrice: Double
    public var exitPrice: Double
    /// Net of fees and funding.
    public var pnl: Double
    public var fees: Double
    public var reason: String

    public init(symbol: String, side: PositionSide, lots: Int, entryTime: Timestamp, exitTime: Timestamp,
                entryPrice: Double, exitPrice: Double, pnl: Double, fees: Double, reason: String) {
        self.symbol = symbol
        self.side = side
        self.lots = lots
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.pnl = pnl
        self.fees = fees
        self.reason = reason
    }

    /// The price return in percent, as backtesting.py reports it: (exit / entry - 1) x 100 for longs, mirrored for
    /// shorts, before costs.
    public var returnPercent: Double {
        side == .long ? (exitPrice / entryPrice - 1) * 100 : (1 - exitPrice / entryPrice) * 100
    }
}

/// What a backtest produced: its trades, its equity curve and how fast it ran.
public struct BacktestResult: Sendable {
    public var trades: [BacktestTrade]
    /// Equity at each bar's close, with its time.
    public var equity: [(time: Timestamp, equity: Double)]
    public var startingBalance: Double
    public var bars: Int
    public var wallSeconds: Double
    /// First and last close of each symbol, for the market change.
    public var marketMoves: [String: (first: Double, last: Double)]
    /// Orders the engine sent and stops it moved (each move a replacement): the requests a venue would have seen.
    public var ordersSent: Int
    public var stopsReplaced: Int

    public init(trades: [BacktestTrade], equity: [(time: Timestamp, equity: Double)], startingBalance: Double,
                bars: Int, wallSeconds: Double, marketMoves: [String: (first: Double, last: Double)],
                ordersSent: Int = 0, stopsReplaced: Int = 0) {
        self.ordersSent = ordersSent
        self.stopsReplaced = stopsReplaced
        self.trades = trades
        self.equity = equity
        self.startingBalance = startingBalance
        self.bars = bars
        self.wallSeconds = wallSeconds
        self.marketMoves = marketMoves
    }

    public var finalBalance: Double { equity.last?.equity ?? startingBalance }
    public var barsPerSecond: Double { wallSeconds > 0 ? Double(bars) / wallSeconds : 0 }
}
