/// A strategy that decides, at each bar's close, which position it wants from the next bar's open.
public protocol BarStrategy: Sendable {
    associatedtype State: Sendable
    func makeState() -> State
    /// The position wanted from the next bar's open, or nil to keep what is held.
    func decide(after candle: Candle, state: inout State) -> PositionSide?
}

/// The reference SMA crossover, with backtesting.py's semantics: a cross at bar i (fast below slow at i-1 and
/// above at i, strictly, or the mirror) closes any opposite position and opens the new one at bar i+1's open;
/// always in the market after the first cross.
public struct SMACrossStrategy: BarStrategy {
    public let fast: Int
    public let slow: Int

    public init(fast: Int, slow: Int) {
        precondition(fast > 0 && slow > 0, "SMA periods must be positive")
        self.fast = fast
        self.slow = slow
    }

    public struct State: Sendable {
        var fast: SimpleMovingAverage
        var slow: SimpleMovingAverage
        var previousFast = Double.nan
        var previousSlow = Double.nan
    }

    public func makeState() -> State {
        State(fast: SimpleMovingAverage(period: fast), slow: SimpleMovingAverage(period: slow))
    }

    public func decide(after candle: Candle, state: inout State) -> PositionSide? {
        let f = state.fast.update(candle.close)
        let s = state.slow.update(candle.close)
        defer { (state.previousFast, state.previousSlow) = (f, s) }
        if state.previousFast < state.previousSlow, f > s { return .long }
        if state.previousFast > state.previousSlow, f < s { return .short }
        return nil
    }
}

/// Runs a `BarStrategy` over one series on the paper exchange: orders go out at the next bar's open as market
/// orders, with the exchange's fees, slippage and funding; the whole equity backs each position at 1x.
public struct SignalBacktest: Sendable {
    public var instrument: Instrument
    public var settings: PaperExchangeSettings
    public var timeframe: Timeframe

    public init(instrument: Instrument, settings: PaperExchangeSettings, timeframe: Timeframe) {
        self.instrument = instrument
        self.settings = settings
        self.timeframe = timeframe
    }

    /// The reference strategy, specialised here: a generic call from another module would go through witness
    /// tables on every bar.
    public func run(_ strategy: SMACrossStrategy, candles: [Candle]) -> BacktestResult {
        runAny(strategy, candles: candles)
    }

    public func run<S: BarStrategy>(_ strategy: S, candles: [Candle]) -> BacktestResult {
        runAny(strategy, candles: candles)
    }

    private func runAny<S: BarStrategy>(_ strategy: S, candles: [Candle]) -> BacktestResult {
        let clock = ContinuousClock()
        let started = clock.now
        var exchange = PaperExchange(instruments: [instrument], settings: settings)
        let symbol = instrument.symbol
        var state = strategy.makeState()
        var wanted: PositionSide?
        var open: (side: PositionSide, lots: Int, time: Timestamp, price: Double, fees: Double, wallet: Double,
                   liquidation: Double)?
        var trades = [BacktestTrade]()
        var equity = [(time: Timestamp, equity: Double)]()
        equity.reserveCapacity(candles.count)
        var orderNumber = 0

        func order(_ side: OrderSide, lots: Int, reduceOnly: Bool) -> OrderRequest {
            orderNumber += 1
            return OrderRequest(id: ClientOrderID("bt-\(orderNumber)"), symbol: symbol, side: side, lots: lots,
                                kind: .market, reduceOnly: reduceOnly, leverage: 1, purpose: .entry)
        }
        func fillOf(_ result: Result<[ExchangeEvent], OrderRejection>) -> Fill? {
            guard case .success(let events) = result else { return nil }
            for event in events { if case .fill(let fill) = event { return fill } }
            return nil
        }
        /// Books the open position as a trade closed by `fill` (the wallet has already taken the fill).
        func book(_ fill: Fill, reason: String) {
            guard let position = open else { return }
            trades.append(BacktestTrade(
                symbol: symbol, side: position.side, lots: position.lots, entryTime: position.time,
                exitTime: fill.time, entryPrice: position.price, exitPrice: fill.price,
                pnl: exchange.wallet - position.wallet, fees: position.fees + fill.fee, reason: reason))
            open = nil
        }
        func close(at time: Timestamp, reason: String) {
            guard let position = open else { return }
            if let fill = fillOf(exchange.submit(order(position.side.exitSide, lots: position.lots, reduceOnly: true),
                                                 at: time)) {
                book(fill, reason: reason)
            }
            open = nil
        }

        // The exchange sees a price when an order goes out, when funding falls due, and when a bar reaches the
        // position's liquidation price (at 1x only a short can get there, at about twice its entry); nothing else
        // can happen to the position in between, so those bars cost a few arithmetic operations.
        let fundingInterval = settings.fundingIntervalSeconds
        var nextFunding = Int64.max
        for candle in candles {
            let orderDue = wanted != nil && wanted != open?.side
            if orderDue || candle.time.seconds >= nextFunding {
                _ = exchange.updatePrice(symbol, candle.open, at: candle.time, continuous: false)
                if fundingInterval > 0, settings.fundingRate != 0 {
                    nextFunding = (candle.time.seconds / fundingInterval + 1) * fundingInterval
                }
            }
            if orderDue, let side = wanted {
                close(at: candle.time, reason: "signal")
                let walletBefore = exchange.wallet
                let perLot = instrument.contractMultiplier * candle.open * (1 + settings.slippage)
                let lots = Int((walletBefore / (perLot * (1 + settings.takerFee))).rounded(.down))
                    / instrument.lotSize * instrument.lotSize
                if lots > 0, let fill = fillOf(exchange.submit(order(side.entrySide, lots: lots, reduceOnly: false),
                                                               at: candle.time)) {
                    let liquidation = exchange.liquidationPrice(symbol) ?? (side == .long ? 0 : .infinity)
                    open = (side, lots, candle.time, fill.price, fill.fee, walletBefore, liquidation)
                }
            }
            wanted = nil
            if let position = open,
               position.side == .long ? candle.low <= position.liquidation : candle.high >= position.liquidation {
                let extreme = position.side == .long ? candle.low : candle.high
                let events = exchange.updatePrice(symbol, extreme, at: candle.time + timeframe.seconds / 2)
                for case .fill(let fill) in events where fill.isLiquidation { book(fill, reason: "liquidation") }
            }
            // Equity at the close: the wallet plus the open position's PnL at the close price.
            var value = exchange.wallet
            if let position = open {
                value += position.side.pnl(from: position.price, to: candle.close,
                                           quantity: instrument.baseQuantity(lots: position.lots))
            }
            equity.append((candle.time + timeframe.seconds, value))
            if let decision = strategy.decide(after: candle, state: &state) { wanted = decision }
        }
        if let last = candles.last {
            // What is still open is closed at the last bar, at its open: the fill backtesting.py gives the closing
            // orders it sends after its last bar, kept so that trade lists compare one to one.
            _ = exchange.updatePrice(symbol, last.open, at: last.time, continuous: false)
            close(at: last.time, reason: "end of data")
            if !equity.isEmpty { equity[equity.count - 1].equity = exchange.wallet }
        }
        let elapsed = clock.now - started
        return BacktestResult(
            trades: trades, equity: equity, startingBalance: settings.startingBalance, bars: candles.count,
            wallSeconds: elapsed.totalSeconds,
            marketMoves: candles.isEmpty ? [:] : [symbol: (candles[0].close, candles[candles.count - 1].close)])
    }
}
