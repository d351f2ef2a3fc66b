public import KestrelCore

/// Turns KuCoin's contracts into Kestrel's instruments: USDT-margined perpetuals only, sizes in whole contracts (a
/// lot is `multiplier` of the base asset), and XBT read as BTC.
public enum KuCoinInstruments {
    /// What became of KuCoin's contract list.
    public struct Listing: Sendable {
        /// The USDT perpetuals, open or not (`isActive`), in KuCoin's order.
        public var instruments: [Instrument]
        /// Fee rates by symbol, as KuCoin states them per contract.
        public var fees: [String: (maker: Double, taker: Double)]
        /// Contracts of other kinds (inverse, quarterly, other quote currencies): not Kestrel's to trade.
        public var otherKinds: Int
        /// Contracts left out because a field Kestrel needs was missing or wrong, each with the reason.
        public var rejected: [(symbol: String, reason: String)]
    }

    /// KuCoin's type for a perpetual.
    static let perpetualType = "FFWCSX"

    static func listing(_ contracts: [Lenient<ContractWire>]) -> Listing {
        var listing = Listing(instruments: [], fees: [:], otherKinds: 0, rejected: [])
        var seen = Set<String>()
        for (index, element) in contracts.enumerated() {
            switch element.result {
            case .failure(let failure):
                listing.rejected.append((symbol: "data[\(index)]", reason: failure.reason))
            case .success(let contract):
                guard isUSDTPerpetual(contract) else {
                    listing.otherKinds += 1
                    continue
                }
                switch instrument(contract) {
                case .success(let instrument):
                    guard seen.insert(instrument.symbol).inserted else {
                        listing.rejected.append((symbol: contract.symbol, reason: "listed twice"))
                        continue
                    }
                    listing.instruments.append(instrument)
                    listing.fees[instrument.symbol] = (contract.makerFeeRate ?? 0.0002, contract.takerFeeRate ?? 0.0006)
                case .failure(let failure):
                    listing.rejected.append((symbol: contract.symbol, reason: failure.reason))
                }
            }
        }
        return listing
    }

    static func isUSDTPerpetual(_ contract: ContractWire) -> Bool {
        contract.type == perpetualType && contract.isInverse != true
            && (contract.quoteCurrency ?? contract.settleCurrency)?.uppercased() == "USDT"
    }

    /// The instrument for one contract, or why there is none.
    static func instrument(_ contract: ContractWire) -> Result<Instrument, DecodingFailure> {
        func fail(_ reason: String) -> Result<Instrument, DecodingFailure> { .failure(DecodingFailure(reason: reason)) }
        guard contract.symbol.utf8.count <= 40, contract.symbol.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return fail("symbol is not a plain name")
        }
        guard let base = contract.baseCurrency, !base.isEmpty else { return fail("baseCurrency missing") }
        guard let multiplier = contract.multiplier, multiplier.isFinite, multiplier > 0 else {
            return fail("multiplier \(contract.multiplier.map { "\($0)" } ?? "missing") is not a positive number")
        }
        guard let tick = contract.tickSize, tick.isFinite, tick > 0 else {
            return fail("tickSize \(contract.tickSize.map { "\($0)" } ?? "missing") is not a positive number")
        }
        let lot = contract.lotSize ?? 1
        guard lot.isFinite, lot >= 1, lot == lot.rounded(), lot < 1e9 else {
            return fail("lotSize \(lot) is not a whole number of contracts")
        }
        let leverage = contract.maxLeverage ?? 1
        guard leverage.isFinite, leverage >= 1 else { return fail("maxLeverage \(leverage) is below 1") }
        let turnover = contract.turnoverOf24h.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? 0
        let price = [contract.lastTradePrice, contract.markPrice].compactMap { $0 }.first { $0.isFinite && $0 > 0 } ?? 0
        return .success(Instrument(symbol: contract.symbol, base: assetName(base), quote: "USDT",
                                   contractMultiplier: multiplier, lotSize: Int(lot), tickSize: tick,
                                   maxLeverage: Int(min(leverage, 1_000)), quoteVolume24h: turnover,
                                   lastPrice: price, isActive: contract.status?.lowercased() == "open"))
    }

    /// KuCoin's name of an asset in the name the rest of Kestrel uses: XBT is BTC.
    public static func assetName(_ kucoinName: String) -> String {
        let upper = kucoinName.uppercased()
        return upper == "XBT" ? "BTC" : upper
    }
}
