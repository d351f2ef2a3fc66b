import Foundation
import KestrelCore
@testable import KestrelKuCoin
import Testing

/// Mutated private answers and pushes (orders, positions, fills, the account's stream) fed to the decoders and the
/// mappings: each is read or refused, never a trap, and what is read holds whole, non-negative lots.
@Suite struct PrivateDecoderFuzzTests {
    static let order = """
        {"code":"200000","data":{"id":"250444645610336256","symbol":"XBTUSDTM","type":"market","side":"sell",\
        "price":null,"size":5,"value":"0","dealValue":"0","dealSize":0,"stop":"down","stopPriceType":"MP",\
        "stopTriggered":false,"stopPrice":"58000","leverage":"5","clientOid":"kst-1-2-s-XBTUSDTM","isActive":true,\
        "cancelExist":false,"createdAt":1732523858568,"status":"open","reduceOnly":true,"filledSize":0}}
        """
    static let positions = """
        {"code":"200000","data":[{"symbol":"XBTUSDTM","currentQty":-3,"isOpen":true,"avgEntryPrice":67430.9,\
        "leverage":2.97,"realLeverage":2.97,"posInit":22.27,"posMargin":22.13,"marginMode":"ISOLATED"}]}
        """
    static let fills = """
        {"code":"200000","data":[{"symbol":"XBTUSDTM","tradeId":"1784277229880","orderId":"236317213710184449",\
        "side":"buy","liquidity":"taker","price":"67430.9","size":1,"fee":"0.04045854","tradeType":"trade",\
        "tradeTime":1729155616320000000,"createdAt":1729155616493}]}
        """
    static let pushes = [
        """
        {"topic":"/contractMarket/tradeOrders","type":"message","subject":"orderChange","data":{"symbol":"XBTUSDTM",\
        "orderType":"limit","side":"buy","orderId":"359065448081260544","liquidity":"taker","type":"match",\
        "size":"1","filledSize":"1","matchPrice":"115549.8","matchSize":"1","tradeId":"1873921404162",\
        "clientOid":"kst-1-3-e-XBTUSDTM","tradeType":"trade","status":"match","ts":1758421075974000000}}
        """,
        """
        {"topic":"/contractMarket/advancedOrders","type":"message","subject":"stopOrder","data":{\
        "orderId":"240673378116083712","symbol":"XBTUSDTM","type":"triggered","triggerSuccess":false,\
        "error":"error.createOrder.accountBalanceInsufficient","size":1,"ts":1730194206843133000}}
        """,
        """
        {"topic":"/contract/positionAll","type":"message","subject":"position.change","data":{"symbol":"XBTUSDTM",\
        "currentQty":2,"isOpen":true,"avgEntryPrice":115549.8,"leverage":3,"posInit":77.0,\
        "changeReason":"positionChange"}}
        """,
        """
        {"topic":"/contractAccount/wallet","type":"message","subject":"walletBalance.change","data":{\
        "walletBalance":"99.944536096","availableBalance":"61.4","currency":"USDT","timestamp":"1758421075976"}}
        """,
    ]

    @Test func mutatedOrdersPositionsAndFillsAreReadOrRefusedNeverTrap() {
        var random = SeededGenerator(seed: 41)
        var read = 0
        for index in 0..<6_000 {
            switch index % 3 {
            case 0:
                let bytes = DecoderFuzzTests.mutate(Self.order, &random)
                guard let envelope = try? JSONDecoder().decode(Envelope<OrderWire?>.self, from: Data(bytes)),
                      let wire = envelope.data ?? nil,
                      let order = try? wire.venueOrder(sent: nil, endpoint: "fuzz") else { continue }
                read += 1
                #expect(order.request.lots >= 0 && order.filledLots >= 0)
            case 1:
                let bytes = DecoderFuzzTests.mutate(Self.positions, &random)
                guard let envelope = try? JSONDecoder().decode(Envelope<[Lenient<PositionWire>]>.self,
                                                               from: Data(bytes)),
                      let rows = envelope.data else { continue }
                read += 1
                for case .success(let wire) in rows.map(\.result) {
                    guard let position = wire.exchangePosition(multiplier: 0.001) else { continue }
                    #expect(position.lots > 0 && position.leverage >= 1 && position.entryPrice > 0)
                }
            default:
                let bytes = DecoderFuzzTests.mutate(Self.fills, &random)
                guard let envelope = try? JSONDecoder().decode(Envelope<[Lenient<FillWire>]>.self, from: Data(bytes)),
                      let rows = envelope.data else { continue }
                read += 1
                for case .success(let wire) in rows.map(\.result) {
                    guard let fill = wire.fill(orderID: ClientOrderID("kst-1-3-e-XBTUSDTM")) else { continue }
                    #expect(fill.lots >= 1 && fill.price > 0 && fill.price.isFinite)
                }
            }
        }
        #expect(read > 1_000)
    }

    @Test func mutatedPrivatePushesAreReadOrRefusedWithAReasonNeverTrap() {
        var random = SeededGenerator(seed: 43)
        var read = 0
        var refused = 0
        for index in 0..<8_000 {
            let text = String(decoding: DecoderFuzzTests.mutate(Self.pushes[index % Self.pushes.count], &random),
                              as: UTF8.self)
            do {
                switch try KuCoinStreamFrame.parse(text) {
                case .orderChange(let update):
                    #expect(!update.orderID.isEmpty && !update.symbol.isEmpty)
                case .position(let update):
                    if case let position?? = update.exchangePosition(multiplier: 0.001) {
                        #expect(position.lots > 0 && position.leverage >= 1)
                    }
                case .wallet(let balance):
                    #expect(balance.isFinite)
                default:
                    break
                }
                read += 1
            } catch is KuCoinStreamFrame.Unreadable {
                refused += 1
            } catch {
                Issue.record("a push refused with an error that is not Unreadable: \(error)")
            }
        }
        #expect(read > 1_000)
        #expect(refused > 1_000)
    }
}
