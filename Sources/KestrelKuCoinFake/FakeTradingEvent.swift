/// Something that happened to the account's trading, to be pushed on the private WebSocket in the order it happened.
/// Each carries a copy of what it is about as it was then, so a later change in the same call (the next piece of a
/// fill, the next order a price move reaches) does not show in an earlier push.
enum FakeTradingEvent: Sendable {
    /// On `/contractMarket/tradeOrders` (subject `orderChange`).
    case order(FakeOrder, OrderChange)
    /// On `/contractMarket/advancedOrders` (subject `stopOrder`).
    case stop(FakeOrder, StopChange)
    /// On `/contract/positionAll` (subject `position.change`): the position after a fill, at `markPrice`; a closed
    /// one has quantity 0.
    case position(FakePosition, markPrice: Double, multiplier: Double)
    /// On `/contractAccount/wallet` (subject `walletBalance.change`).
    case wallet(Wallet)

    enum OrderChange: Sendable {
        /// The order rests in the book.
        case open
        /// One trade of the order.
        case match(FakeFill)
        /// Fully filled.
        case filled
        /// Cancelled: these lots were left unfilled.
        case canceled(size: Int)
    }

    enum StopChange: Sendable {
        /// Placed, untriggered.
        case open
        /// Fired: its order enters the book (`triggerSuccess` true).
        case triggered
        /// Fired, but its order could not be placed: the account can't hold its margin (`triggerSuccess` false,
        /// with KuCoin's `error`); the order is then cancelled.
        case failed
        /// Cancelled before it fired.
        case cancel
    }

    /// The wallet as the push reports it.
    struct Wallet: Sendable {
        var balance: Double
        var margins: FakeTrading.Margins
        var version: Int
    }
}
