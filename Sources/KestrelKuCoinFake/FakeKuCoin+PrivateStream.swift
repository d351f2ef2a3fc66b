import Hummingbird
import NIOCore

/// The fake's private WebSocket: bullets with private tokens, and the pushes of the account's trading in the shapes of
/// docs/kucoin-private.md §9a-9d, on the all-symbols topics and on the per-symbol ones.
extension FakeKuCoin {
    /// Topics (before any `:`) that only a connection made with a private token may subscribe to.
    static let privateTopics: Set<String> = [
        "/contractMarket/tradeOrders", "/contractMarket/advancedOrders", "/contract/positionAll", "/contract/position",
        "/contractAccount/wallet", "/contract/marginMode", "/contract/crossLeverage",
    ]

    /// The `userId` every private push carries.
    static let userID = "6700000000000000000000bb"

    func addPrivateStreamRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/bullet-private") { request, _ in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            if let refusal = self.refusal(of: request, body: body) { return refusal }
            return Self.success(self.issueBullet(private: true))
        }
    }

    /// The pushes that tell a client about `event`, topic and text, in the order to send them.
    static func pushes(for event: FakeTradingEvent, now: Int64) -> [(topic: String, text: String)] {
        switch event {
        case .order(let order, let change):
            let data = order.orderChangeJSON(change, now: now)
            return [envelope("/contractMarket/tradeOrders", subject: "orderChange", data: data),
                    envelope("/contractMarket/tradeOrders:\(order.symbol)", subject: "symbolOrderChange", data: data)]
        case .stop(let order, let change):
            return [envelope("/contractMarket/advancedOrders", subject: "stopOrder",
                             data: order.stopOrderJSON(change, now: now))]
        case .position(let position, let markPrice, let multiplier):
            let data = position.json(markPrice: markPrice, multiplier: multiplier, now: now,
                                     changeReason: "positionChange")
            return [envelope("/contract/positionAll", subject: "position.change", data: data),
                    envelope("/contract/position:\(position.symbol)", subject: "position.change", data: data)]
        case .wallet(let wallet):
            return [envelope("/contractAccount/wallet", subject: "walletBalance.change",
                             data: walletJSON(wallet, now: now))]
        }
    }

    /// A private push: the topic, its subject, and `data`, as KuCoin wraps them.
    private static func envelope(_ topic: String, subject: String, data: String) -> (topic: String, text: String) {
        (topic, "{\"topic\":\(FakeWire.string(topic)),\"type\":\"message\",\"subject\":\"\(subject)\","
            + "\"userId\":\"\(userID)\",\"channelType\":\"private\",\"data\":\(data)}")
    }

    /// §9d's `walletBalance.change` data, every value a string: the equity counts every position's unrealised PnL,
    /// the available balance is the wallet less every margin held (as the account overview counts it), and the total
    /// cross margin is what the cross positions can draw on.
    private static func walletJSON(_ wallet: FakeTradingEvent.Wallet, now: Int64) -> String {
        let margins = wallet.margins
        let unrealised = margins.crossUnrealised + margins.isolatedUnrealised
        let available = wallet.balance - margins.crossPosition - margins.isolatedPosition - margins.crossOrder
            - margins.isolatedOrder
        let totalCross = wallet.balance + margins.crossUnrealised - margins.isolatedPosition - margins.isolatedOrder
        return FakeWire.object([
            "crossPosMargin": FakeWire.quoted(margins.crossPosition),
            "isolatedOrderMargin": FakeWire.quoted(margins.isolatedOrder), "holdBalance": "\"0\"",
            "equity": FakeWire.quoted(wallet.balance + unrealised), "version": FakeWire.quoted(wallet.version),
            "availableBalance": FakeWire.quoted(available),
            "isolatedPosMargin": FakeWire.quoted(margins.isolatedPosition),
            "maxWithdrawAmount": FakeWire.quoted(max(0, available)), "walletBalance": FakeWire.quoted(wallet.balance),
            "isolatedFundingFeeMargin": "\"0\"", "crossUnPnl": FakeWire.quoted(margins.crossUnrealised),
            "totalCrossMargin": FakeWire.quoted(totalCross), "currency": "\"USDT\"",
            "isolatedUnPnl": FakeWire.quoted(margins.isolatedUnrealised),
            "crossOrderMargin": FakeWire.quoted(margins.crossOrder), "timestamp": "\"\(now)\"",
        ])
    }
}
