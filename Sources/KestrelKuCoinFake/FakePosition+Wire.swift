/// A position in §6's shape: every value a JSON number, the quantity signed; the same object is the data of the
/// `position.change` push (§9c), with its `changeReason`.
extension FakePosition {
    /// KuCoin's maintenance margin rate for the smallest risk limit, which the fake's contracts list.
    static let maintenanceMarginRate = 0.005

    /// The position at `markPrice` and `now` (ms). Fields KuCoin sends for isolated positions only (`realLeverage`,
    /// `autoDeposit`, `riskLimit`, …) are left out of a cross one, as KuCoin leaves them out. There is no
    /// liquidation engine: `liquidationPrice` and `bankruptPrice` are 0.
    func json(markPrice: Double, multiplier: Double, now: Int64, changeReason: String? = nil) -> String {
        let cost = cost(multiplier: multiplier)
        let markValue = Double(quantity) * multiplier * markPrice
        let unrealised = unrealisedPnL(at: markPrice, multiplier: multiplier)
        let margin = margin(multiplier: multiplier)
        let maintenance = abs(cost) * Self.maintenanceMarginRate
        let isCross = marginMode == "CROSS"
        let realisedGross = realisedPnL + fees
        var fields: [(String, String)] = [
            ("id", FakeWire.string("\(symbol)-\(openedAt)")), ("symbol", FakeWire.string(symbol)),
            ("crossMode", "\(isCross)"), ("maintMarginReq", FakeWire.number(Self.maintenanceMarginRate)),
            ("delevPercentage", "0"), ("openingTimestamp", "\(openedAt)"), ("currentTimestamp", "\(now)"),
            ("currentQty", "\(quantity)"), ("currentCost", FakeWire.number(cost)),
            ("currentComm", FakeWire.number(fees)), ("unrealisedCost", FakeWire.number(cost)),
            ("realisedGrossCost", FakeWire.number(-realisedGross)), ("realisedCost", FakeWire.number(-realisedPnL)),
            ("isOpen", "\(quantity != 0)"), ("markPrice", FakeWire.number(markPrice)),
            ("markValue", FakeWire.number(markValue)), ("posCost", FakeWire.number(cost)),
            ("posInit", FakeWire.number(margin)), ("posMargin", FakeWire.number(margin)),
            ("posMaint", FakeWire.number(maintenance)), ("realisedGrossPnl", FakeWire.number(realisedGross)),
            ("realisedPnl", FakeWire.number(realisedPnL)), ("unrealisedPnl", FakeWire.number(unrealised)),
            ("unrealisedPnlPcnt", FakeWire.number(cost == 0 ? 0 : unrealised / abs(cost))),
            ("unrealisedRoePcnt", FakeWire.number(margin == 0 ? 0 : unrealised / margin)),
            ("avgEntryPrice", FakeWire.number(entryPrice)), ("liquidationPrice", "0"), ("bankruptPrice", "0"),
            ("settleCurrency", "\"USDT\""), ("isInverse", "false"), ("marginMode", FakeWire.string(marginMode)),
            ("positionSide", "\"BOTH\""), ("leverage", "\(leverage)"),
        ]
        if !isCross {
            fields += [("autoDeposit", "false"), ("riskLimit", "500000"),
                       ("realLeverage", FakeWire.number(margin == 0 ? Double(leverage) : abs(markValue) / margin)),
                       ("posCross", "0"), ("posComm", "0"), ("posLoss", "0"), ("posFunding", "0"),
                       ("maintMargin", FakeWire.number(margin + unrealised)),
                       ("maintainMargin", FakeWire.number(Self.maintenanceMarginRate))]
        }
        if let changeReason { fields.append(("changeReason", FakeWire.string(changeReason))) }
        return FakeWire.object(fields)
    }
}
