/// What happened on the exchange, reported back to the engine.
///
/// Every venue reports in these terms, paper and live: an adapter translates its own messages into them.
public enum ExchangeEvent: Sendable, Hashable {
    /// The venue acknowledged an order: it rests (a stop or a limit) or is being filled. An order that fills at
    /// once may be reported by its fill alone.
    case accepted(ClientOrderID, symbol: String)
    case fill(Fill)
    /// Funding credited to the wallet (negative: paid).
    case funding(symbol: String, amount: Double, time: Timestamp)
    /// An order that is gone without filling (the rest of it, after a partial fill): cancelled by Kestrel, or
    /// removed by the exchange (a reduce-only order whose position is gone).
    case orderCancelled(ClientOrderID, symbol: String)
}
