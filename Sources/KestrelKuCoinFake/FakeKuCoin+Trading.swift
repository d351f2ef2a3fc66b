/// The trading state as a test sees and moves it: read it, change it, move a price. Every change that the exchange
/// would report is pushed on the private WebSocket, and the account overview is kept in line with the positions and
/// orders.
extension FakeKuCoin {
    /// Orders, positions, fills, prices and fault knobs as they stand.
    public var trading: FakeTrading { state.withLock { $0.trading } }

    /// Changes the trading state directly (a position the account already has, a knob), without pushes. The
    /// account's margins and unrealised PnL are recomputed from the result, replacing any set by `updateAccount`.
    public func updateTrading(_ change: @Sendable (inout FakeTrading) -> Void) {
        state.withLock { state in
            change(&state.trading)
            state.trading.recompute(&state.account, in: state.market)
        }
    }

    /// Moves `symbol`'s price (last, mark and index alike) to `price`: resting limit orders it reaches fill as
    /// makers at their price, stops it crosses fire and trade at `price`, the account is recomputed, and each change
    /// is pushed.
    public func setPrice(_ symbol: String, _ price: Double) {
        // Nothing a price move does can be refused.
        _ = try? trade { trading, context, account in
            ((), trading.move(symbol, to: price, context, account: &account))
        }
    }

    /// Runs `change` on the trading state and the account, at the fake's time, and sends the pushes for what it
    /// reports, in order. The pushes are sent before the state's lock is released, so two requests' pushes never
    /// interleave nor overtake each other.
    func trade<T: Sendable>(_ change: (inout FakeTrading, FakeTrading.Context, inout FakeAccount)
        throws(FakeRefusal) -> (T, [FakeTradingEvent])) throws(FakeRefusal) -> T {
        let now = nowMilliseconds
        let result: Result<T, FakeRefusal> = state.withLock { state in
            let context = FakeTrading.Context(market: state.market, now: now)
            do throws(FakeRefusal) {
                let (value, events) = try change(&state.trading, context, &state.account)
                let pushes = events.flatMap { Self.pushes(for: $0, now: now) }
                let times = state.trading.duplicatePushes ? 2 : 1
                for (topic, text) in pushes {
                    for _ in 0..<times { push(topic: topic, text) }
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
