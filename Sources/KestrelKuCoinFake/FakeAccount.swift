/// The futures account behind the fake's private endpoints: its API key, and what it holds.
public struct FakeAccount: Sendable {
    /// The key a request must be signed with (version 2: the passphrase is sent signed).
    public struct Key: Sendable {
        public var key: String
        public var secret: String
        public var passphrase: String

        public init(key: String, secret: String, passphrase: String) {
            self.key = key
            self.secret = secret
            self.passphrase = passphrase
        }
    }

    public static let testKey = Key(key: "6700000000000000000000aa", secret: "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
                                    passphrase: "fake-passphrase")

    public var key = FakeAccount.testKey
    /// USDT in the wallet, before the open positions' unrealised PnL.
    public var walletBalance = 10_000.0
    public var unrealisedPnL = 0.0
    public var positionMargin = 0.0
    public var orderMargin = 0.0

    public init() {}

    /// `GET /api/v1/account-overview`'s data, as the documentation shows it (numbers, not strings). The margins and
    /// unrealised PnL are kept in line with the trading state by `FakeTrading.recompute(_:in:)` whenever it changes.
    var overviewJSON: String {
        let equity = walletBalance + unrealisedPnL
        let available = walletBalance - positionMargin - orderMargin
        return FakeWire.object([
            "accountEquity": FakeWire.number(equity), "unrealisedPNL": FakeWire.number(unrealisedPnL),
            "marginBalance": FakeWire.number(equity), "positionMargin": FakeWire.number(positionMargin),
            "orderMargin": FakeWire.number(orderMargin), "frozenFunds": "0",
            "availableBalance": FakeWire.number(available), "currency": "\"USDT\"",
        ])
    }
}
