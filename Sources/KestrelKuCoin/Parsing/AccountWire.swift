/// `GET /api/v1/account-overview`'s data: numbers in the documentation, strings of them taken too; each optional
/// here, so that the mapping names a missing one.
struct AccountOverviewWire: Decodable, Sendable {
    var accountEquity: Double?
    var unrealisedPNL: Double?
    var availableBalance: Double?
    var currency: String?

    private enum CodingKeys: String, CodingKey {
        case accountEquity, unrealisedPNL, availableBalance, currency
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accountEquity = try container.lenientDouble(forKey: .accountEquity)
        unrealisedPNL = try container.lenientDouble(forKey: .unrealisedPNL)
        availableBalance = try container.lenientDouble(forKey: .availableBalance)
        currency = try container.lenientString(forKey: .currency)
    }

    /// The overview, or an error naming the field that is missing or not a finite number.
    func overview(endpoint: String) throws -> KuCoinAccountOverview {
        func number(_ value: Double?, _ field: String) throws -> Double {
            guard let value, value.isFinite else {
                throw KuCoinError.malformed(endpoint: endpoint, status: 200,
                                            reason: "field \(field) missing or not a number")
            }
            return value
        }
        let equity = try number(accountEquity, "accountEquity")
        let unrealised = try number(unrealisedPNL, "unrealisedPNL")
        return KuCoinAccountOverview(equity: equity, walletBalance: equity - unrealised, unrealisedPnL: unrealised,
                                     available: try number(availableBalance, "availableBalance"),
                                     currency: currency ?? "USDT")
    }
}
