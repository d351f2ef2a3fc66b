import Foundation
@testable import KestrelCore
import Testing

@Suite struct PaperExchangeTests {
    static let btc = Instrument(symbol: "BTCUSDTM", base: "BTC", quote: "USDT", contractMultiplier: 0.001, tickSize: 0.1,
                                maxLeverage: 100)
    let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!

    func exchange(_ settings: PaperExchangeSettings = PaperExchangeSettings(slippage: 0, fundingRate: 0))
        -> PaperExchange {
        var exchange = PaperExchange(instruments: [Self.btc], settings: settings)
        _ = exchange.updatePrice("BTCUSDTM", 10_000, at: t0)
        return exchange
    }

    func order(_ id: String, _ side: OrderSide, _ lots: Int, _ kind: OrderKind = .market, reduceOnly: Bool = false,
               leverage: Int = 10) -> OrderRequest {
        OrderRequest(id: ClientOrderID(id), symbol: "BTCUSDTM", side: side, lots: lots, kind: kind,
                     reduceOnly: reduceOnly, leverage: leverage, purpose: .entry)
    }

    func fills(_ events: [ExchangeEvent]) -> [Fill] {
        events.compactMap { if case .fill(let fill) = $0 { fill } else { nil } }
    }

    @Test func marketOrderFillsInLotsWithTakerFeeAndSlippage() throws {
        var paper = exchange(PaperExchangeSettings(slippage: 0.0005, fundingRate: 0))
        let events = try paper.submit(order("a", .buy, 100), at: t0).get()
        let fill = try #require(fills(events).first)
        #expect(fill.price == 10_005)  // 5 bps worse, on the 0.1 tick
        #expect(fill.lots == 100)
        // 100 lots x 0.001 BTC = 0.1 BTC; notional 1000.5; taker 0.06%
        #expect(abs(fill.fee - 1000.5 * 0.0006) < 1e-9)
        let position = try #require(paper.positions["BTCUSDTM"])
        #expect(position.lots == 100 && position.side == .long)
        #expect(abs(position.margin - 100.05) < 1e-9)
        #expect(abs(paper.wallet - (10_000 - fill.fee)) < 1e-9)
    }

    @Test func closingRealisesPnLAndDropsTheStop() throws {
        var paper = exchange()
        _ = try paper.submit(order("open", .buy, 200), at: t0).get()
        _ = try paper.submit(order("stop", .sell, 200, .stopMarket(trigger: 9_500), reduceOnly: true), at: t0).get()
        #expect(paper.restingOrders.count == 1)
        _ = paper.updatePrice("BTCUSDTM", 10_500, at: t0 + 60)
        let events = try paper.submit(order("close", .sell, 200, reduceOnly: true), at: t0 + 60).get()
        #expect(fills(events).first?.price == 10_500)
        #expect(events.contains(.orderCancelled(ClientOrderID("stop"), symbol: "BTCUSDTM")))
        #expect(paper.positions.isEmpty && paper.restingOrders.isEmpty)
        let fees = 0.2 * 10_000 * 0.0006 + 0.2 * 10_500 * 0.0006
        #expect(abs(paper.wallet - (10_000 + 0.2 * 500 - fees)) < 1e-9)
    }

    @Test func stopTriggersOnThePricePathAndAtTheGapPrice() throws {
        var paper = exchange()
        _ = try paper.submit(order("open", .buy, 100), at: t0).get()
        _ = try paper.submit(order("stop", .sell, 100, .stopMarket(trigger: 9_800), reduceOnly: true), at: t0).get()
        #expect(fills(paper.updatePrice("BTCUSDTM", 9_850, at: t0 + 60)).isEmpty)
        // Through the trigger along a path: filled at the trigger.
        let hit = fills(paper.updatePrice("BTCUSDTM", 9_700, at: t0 + 120))
        #expect(hit.map(\.price) == [9_800])
        #expect(paper.positions.isEmpty)

        var gapped = exchange()
        _ = try gapped.submit(order("open", .buy, 100), at: t0).get()
        _ = try gapped.submit(order("stop", .sell, 100, .stopMarket(trigger: 9_800), reduceOnly: true), at: t0).get()
        // A gap straight past the trigger fills at the price that was there.
        #expect(fills(gapped.updatePrice("BTCUSDTM", 9_600, at: t0 + 1800, continuous: false)).map(\.price) == [9_600])
    }

    @Test func aStopIsReplacedWhereItRestsAndARefusedReplacementLeavesIt() throws {
        var paper = exchange()
        _ = try paper.submit(order("long", .buy, 50), at: t0).get()
        _ = try paper.submit(order("target", .sell, 20, .limit(price: 10_500), reduceOnly: true), at: t0).get()
        _ = try paper.submit(order("stop", .sell, 50, .stopMarket(trigger: 9_500), reduceOnly: true), at: t0).get()
        _ = try paper.submit(order("target2", .sell, 30, .limit(price: 11_000), reduceOnly: true), at: t0).get()
        var events = [ExchangeEvent]()
        // Moved: the new stop takes the old one's place; its acknowledgement is the one report (it ends the old one).
        let moved = order("stop2", .sell, 50, .stopMarket(trigger: 9_700), reduceOnly: true)
        #expect(paper.replace(ClientOrderID("stop"), with: moved, at: t0 + 1, into: &events) == nil)
        #expect(events == [.accepted(moved.id, symbol: "BTCUSDTM")])
        #expect(paper.restingOrders.map(\.id.rawValue) == ["target", "stop2", "target2"])
        // A replacement the exchange refuses (its id is taken) leaves the stop resting as it was.
        events = []
        let refused = order("target", .sell, 50, .stopMarket(trigger: 9_800), reduceOnly: true)
        #expect(paper.replace(moved.id, with: refused, at: t0 + 2, into: &events) == .duplicateOrderID(refused.id))
        #expect(events.isEmpty && paper.restingOrders.map(\.id.rawValue) == ["target", "stop2", "target2"])
        // The price reaches the moved trigger, not the old one.
        #expect(fills(paper.updatePrice("BTCUSDTM", 9_690, at: t0 + 3)).map(\.orderID.rawValue) == ["stop2"])
        // A stop replaced after it is gone is placed all the same.
        _ = try paper.submit(order("again", .buy, 10), at: t0 + 4).get()
        events = []
        let fresh = order("stop3", .sell, 10, .stopMarket(trigger: 9_000), reduceOnly: true)
        #expect(paper.replace(ClientOrderID("gone"), with: fresh, at: t0 + 5, into: &events) == nil)
        #expect(events == [.accepted(fresh.id, symbol: "BTCUSDTM")])
        #expect(paper.restingOrders.map(\.id.rawValue) == ["stop3"])
    }

    @Test func limitOrdersRestAndFillAsMaker() throws {
        var paper = exchange()
        let resting = try paper.submit(order("limit", .buy, 50, .limit(price: 9_900)), at: t0).get()
        // Only a stop's acknowledgement is reported (the one the engine acts on).
        #expect(resting.isEmpty)
        let stop = try paper.submit(order("stop", .sell, 50, .stopMarket(trigger: 9_000)), at: t0).get()
        #expect(stop == [.accepted(ClientOrderID("stop"), symbol: "BTCUSDTM")])
        let events = paper.updatePrice("BTCUSDTM", 9_890, at: t0 + 60)
        let fill = try #require(fills(events).first)
        #expect(fill.isMaker && fill.price == 9_900)
        #expect(abs(fill.fee - 0.05 * 9_900 * 0.0002) < 1e-12)
    }

    @Test func typedRejections() {
        var paper = exchange()
        #expect(paper.submit(order("x", .buy, 0), at: t0) == .failure(.belowMinimumLot(lots: 0, minimum: 1)))
        #expect(paper.submit(order("y", .buy, 10, leverage: 101), at: t0)
            == .failure(.leverageOutOfRange(requested: 101, maximum: 100)))
        #expect(paper.submit(order("z", .sell, 10, reduceOnly: true), at: t0)
            == .failure(.reduceOnlyWithoutPosition(symbol: "BTCUSDTM")))
        #expect(paper.submit(order("w", .buy, 10, .limit(price: -1)), at: t0) == .failure(.badPrice(-1)))
        // 10,000 lots = 10 BTC = 100,000 notional at 10x needs 10,000 margin plus fees: more than the wallet.
        guard case .failure(.insufficientMargin) = paper.submit(order("big", .buy, 10_000), at: t0) else {
            Issue.record("expected insufficient margin")
            return
        }
        _ = paper.submit(order("ok", .buy, 1), at: t0)
        #expect(paper.submit(order("ok", .buy, 1), at: t0) == .failure(.duplicateOrderID(ClientOrderID("ok"))))
        var unknown = paper
        guard case .failure(.unknownOrder) = unknown.cancel(ClientOrderID("nope")) else {
            Issue.record("expected unknown order")
            return
        }
    }

    @Test func fundingIsPaidEveryEightHoursUTC() throws {
        var paper = exchange(PaperExchangeSettings(slippage: 0, fundingRate: 0.0001))
        _ = try paper.submit(order("open", .buy, 1000), at: t0).get()
        let walletAfterEntry = paper.wallet
        // From 00:00 to 16:30 passes 08:00 and 16:00.
        let events = paper.updatePrice("BTCUSDTM", 10_000, at: t0 + 16 * 3600 + 1800)
        let payments = events.compactMap { if case .funding(_, let amount, _) = $0 { amount } else { nil } }
        #expect(payments.count == 2)
        #expect(payments.allSatisfy { abs($0 + 1.0) < 1e-9 })  // 1 BTC x 10,000 x 0.01%, paid by the long
        #expect(abs(paper.wallet - (walletAfterEntry - 2)) < 1e-9)
    }

    @Test func aFundingGapOfYearsIsChargedInOnePaymentPerPosition() throws {
        var paper = exchange(PaperExchangeSettings(slippage: 0, fundingRate: 0.0001))
        _ = try paper.submit(order("open", .buy, 1000), at: t0).get()
        let walletAfterEntry = paper.wallet
        // Three years with no price: 3,285 funding boundaries (every 8 h), far more than are paid one by one.
        let later = t0 + 3 * 365 * 86_400 + 3600
        let events = paper.updatePrice("BTCUSDTM", 10_000, at: later)
        let payments = events.compactMap { if case .funding(_, let amount, let time) = $0 { (amount, time) } else { nil } }
        let rounds = Double((later.seconds / 28_800) - (t0.seconds / 28_800))
        #expect(payments.count == 1)
        #expect(abs(payments[0].0 + rounds) < 1e-6)  // 1 BTC x 10,000 x 0.01% per round, paid by the long
        #expect(payments[0].1 == Timestamp(seconds: later.seconds / 28_800 * 28_800))
        #expect(abs(paper.wallet - (walletAfterEntry - rounds)) < 1e-6)
    }

    @Test func aContractListedLaterIsTradedAndOneDelistedKeepsWhatItHolds() throws {
        var paper = exchange()
        _ = try paper.submit(order("open", .buy, 100), at: t0).get()
        let sol = Instrument(symbol: "SOLUSDTM", base: "SOL", quote: "USDT", contractMultiplier: 0.1, tickSize: 0.001,
                             maxLeverage: 50)
        // BTC delisted (missing from the list), SOL listed.
        paper.list([sol])
        #expect(Set(paper.instruments.keys) == ["BTCUSDTM", "SOLUSDTM"])
        #expect(paper.positions["BTCUSDTM"]?.lots == 100)
        _ = paper.updatePrice("SOLUSDTM", 150, at: t0)
        let buy = OrderRequest(id: ClientOrderID("sol"), symbol: "SOLUSDTM", side: .buy, lots: 3, kind: .market,
                               reduceOnly: false, leverage: 5, purpose: .entry)
        _ = try paper.submit(buy, at: t0).get()
        #expect(paper.positions["SOLUSDTM"]?.lots == 3)
        // Listed again: nothing changes.
        paper.list([sol, Self.btc])
        #expect(paper.instruments.count == 2)
        #expect(paper.positions.count == 2)
    }

    @Test func aSavedExchangeCarriesOnWhereItStopped() throws {
        let eth = Instrument(symbol: "ETHUSDTM", base: "ETH", quote: "USDT", contractMultiplier: 0.01, tickSize: 0.01,
                             maxLeverage: 75)
        var paper = PaperExchange(instruments: [Self.btc, eth], settings: PaperExchangeSettings(slippage: 0, fundingRate: 0))
        _ = paper.updatePrice("BTCUSDTM", 10_000, at: t0)
        _ = paper.updatePrice("ETHUSDTM", 200, at: t0)
        _ = try paper.submit(order("open", .buy, 100), at: t0).get()
        _ = try paper.submit(order("stop", .sell, 100, .stopMarket(trigger: 9_800), reduceOnly: true), at: t0).get()
        let ethBuy = OrderRequest(id: ClientOrderID("eth-limit"), symbol: "ETHUSDTM", side: .buy, lots: 10,
                                  kind: .limit(price: 190), reduceOnly: false, leverage: 5, purpose: .entry)
        _ = try paper.submit(ethBuy, at: t0).get()

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var restored = try JSONDecoder().decode(PaperExchange.self, from: encoder.encode(paper))
        #expect(restored.positions == paper.positions)
        #expect(restored.restingOrders == paper.restingOrders)
        #expect(restored.prices == paper.prices)
        #expect(restored.wallet == paper.wallet)
        #expect(restored.hasSeen(ClientOrderID("stop")) && !restored.hasSeen(ClientOrderID("never")))
        #expect(try encoder.encode(restored) == encoder.encode(paper))
        // Both go on identically: the ETH limit and the BTC stop fill on the same prices.
        for symbol in ["ETHUSDTM", "BTCUSDTM"] {
            let price = symbol == "ETHUSDTM" ? 185.0 : 9_700.0
            #expect(restored.updatePrice(symbol, price, at: t0 + 60) == paper.updatePrice(symbol, price, at: t0 + 60))
        }
        #expect(restored.positions == paper.positions && restored.positions["ETHUSDTM"]?.lots == 10)
        #expect(restored.restingOrders.isEmpty && restored.wallet == paper.wallet)

        // A saved position filed under another symbol's name is refused, not trusted.
        let text = String(decoding: try encoder.encode(paper), as: UTF8.self)
        let tampered = text.replacingOccurrences(of: "\"symbol\":\"ETHUSDTM\"", with: "\"symbol\":\"BTCUSDTM\"")
        #expect(tampered != text)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PaperExchange.self, from: Data(tampered.utf8)) }
    }

    @Test func isolatedLiquidationLosesTheMarginOnly() throws {
        var paper = exchange()
        _ = try paper.submit(order("open", .buy, 500, leverage: 20), at: t0).get()
        let liquidation = try #require(paper.liquidationPrice("BTCUSDTM"))
        #expect(abs(liquidation - 10_000 * 0.95 / 0.995) < 1e-6)
        let margin = paper.positions["BTCUSDTM"]!.margin
        let before = paper.wallet
        #expect(fills(paper.updatePrice("BTCUSDTM", liquidation + 5, at: t0 + 60)).isEmpty)
        let events = paper.updatePrice("BTCUSDTM", 9_000, at: t0 + 120, continuous: false)
        let fill = try #require(fills(events).first)
        #expect(fill.isLiquidation)
        #expect(paper.positions.isEmpty)
        // Closed at the bankruptcy price, where the loss is the margin: 10,000 - 500 (margin 25 on 0.5 BTC)...
        #expect(abs(fill.price - (10_000 - margin / 0.5)) < 1e-9)
        // ...so the wallet loses the margin and the fee, and the fill tells the same story.
        #expect(abs(paper.wallet - (before - margin - fill.fee)) < 1e-9)
    }

    @Test func crossMarginLiquidatesEverything() throws {
        var paper = exchange(PaperExchangeSettings(startingBalance: 1_000, slippage: 0, fundingRate: 0,
                                                   marginMode: .cross))
        _ = try paper.submit(order("open", .buy, 800, leverage: 20), at: t0).get()
        // Isolated at 20x this position would be gone below 9,548; cross margin backs it with the whole wallet.
        #expect(fills(paper.updatePrice("BTCUSDTM", 9_000, at: t0 + 60)).isEmpty)
        // Equity 995.2 - 0.8 x (10,000 - p) meets maintenance 0.004 p at about 8,800.
        #expect(fills(paper.updatePrice("BTCUSDTM", 8_850, at: t0 + 120)).isEmpty)
        #expect(fills(paper.updatePrice("BTCUSDTM", 8_750, at: t0 + 180)).contains { $0.isLiquidation })
        #expect(paper.positions.isEmpty)
    }
}

@Suite struct PaperExchangeEdgeTests {
    let t0 = Timestamp(parsing: "2019-06-01T00:00:00Z")!

    @Test func marketableLimitsAndCrossedStopsFillSensibly() throws {
        var paper = PaperExchange(instruments: [PaperExchangeTests.btc],
                                  settings: PaperExchangeSettings(slippage: 0.001, fundingRate: 0))
        _ = paper.updatePrice("BTCUSDTM", 10_000, at: t0)
        // A buy limit at 10,005 with the market at 10,000 and 10 bps of slippage fills at its limit, not worse.
        let limit = OrderRequest(id: ClientOrderID("l"), symbol: "BTCUSDTM", side: .buy, lots: 10,
                                 kind: .limit(price: 10_005), reduceOnly: false, leverage: 10, purpose: .entry)
        let filled = try paper.submit(limit, at: t0).get()
        guard case .fill(let fill)? = filled.first else { throw TestFailure("no fill") }
        #expect(fill.price == 10_005)
        // A sell stop above the market has already triggered: it executes now instead of resting.
        let stop = OrderRequest(id: ClientOrderID("s"), symbol: "BTCUSDTM", side: .sell, lots: 10,
                                kind: .stopMarket(trigger: 10_100), reduceOnly: true, leverage: 10, purpose: .stopLoss)
        let stopped = try paper.submit(stop, at: t0).get()
        #expect(stopped.contains { if case .fill = $0 { true } else { false } })
        #expect(paper.positions.isEmpty && paper.restingOrders.isEmpty)
    }

    @Test func badInstrumentMetadataIsRefusedNotATrap() {
        let broken = Instrument(symbol: "BAD", base: "BAD", quote: "USDT", contractMultiplier: 1, lotSize: 0,
                                tickSize: 0.01, maxLeverage: 0)
        var paper = PaperExchange(instruments: [broken])
        _ = paper.updatePrice("BAD", 1, at: t0)
        let order = OrderRequest(id: ClientOrderID("x"), symbol: "BAD", side: .buy, lots: 1, kind: .market,
                                 reduceOnly: false, leverage: 1, purpose: .entry)
        #expect(paper.submit(order, at: t0) == .failure(.unknownSymbol("BAD")))
    }

    struct TestFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

@Suite struct RecentIDsTests {
    @Test func remembersAtLeastTheLastCapacityIDsAndAtMostTwiceThat() throws {
        var recent = RecentIDs<ClientOrderID>(capacity: 3)
        var inserted = [ClientOrderID]()
        for number in 1...20 {
            let id = ClientOrderID(run: RunID(value: 1), number: number, role: .entry, symbol: "AAAUSDT")
            recent.insert(id)
            inserted.append(id)
            #expect(inserted.suffix(3).allSatisfy(recent.contains))
            #expect(inserted.filter(recent.contains).count <= 6)
        }
        #expect(!recent.contains(inserted[0]))
        // Saved and restored, the newest ids are still known.
        let restored = try JSONDecoder().decode(RecentIDs<ClientOrderID>.self, from: JSONEncoder().encode(recent))
        #expect(inserted.suffix(3).allSatisfy(restored.contains) && !restored.contains(inserted[0]))
    }

    @Test func tellsIDsApartByAllTheirTextNotOnlyByNumber() {
        var recent = RecentIDs<ClientOrderID>(capacity: 64)
        let first = ClientOrderID(run: RunID(value: 1), number: 7, role: .entry, symbol: "AAAUSDT")
        // Same number, another role or symbol: another id. Text ids are held by their text.
        let outcomes = [first, first, ClientOrderID(run: RunID(value: 1), number: 7, role: .stop, symbol: "AAAUSDT"),
                        ClientOrderID(run: RunID(value: 1), number: 7, role: .entry, symbol: "BBBUSDT"), ClientOrderID("manual-1"),
                        ClientOrderID("manual-1"), ClientOrderID(ClientOrderID(run: RunID(value: 1), number: 7, role: .entry, symbol: "AAAUSDT").rawValue)].map { recent.insert($0) }
        #expect(outcomes == [true, false, true, true, true, false, false])
        #expect(!recent.contains(ClientOrderID("manual-2")))
    }

    @Test func answersAsTwoGenerationsOfASetWouldThroughManyTurnovers() {
        // Numbers that share places in a small table, repeats, and text ids, checked after every insert against
        // the two generations kept as plain arrays.
        var recent = RecentIDs<ClientOrderID>(capacity: 5)
        var previous = [ClientOrderID](), current = [ClientOrderID]()
        let candidates = (0..<64).map { pick in
            pick < 8 ? ClientOrderID("text-\(pick)") : ClientOrderID(run: RunID(value: 1), number: pick * 16, role: .stop, symbol: "X")
        }
        var state: UInt64 = 3
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let id = candidates[Int(state >> 58)]
            let known = previous.contains(id) || current.contains(id)
            let inserted = recent.insert(id)
            #expect(inserted == !known)
            if !known {
                current.append(id)
                if current.count == 5 { (previous, current) = (current, []) }
            }
            for candidate in candidates {
                #expect(recent.contains(candidate) == (previous.contains(candidate) || current.contains(candidate)))
            }
        }
    }

    @Test func aSavedListThatRepeatsAnIDStillKnowsIt() throws {
        let json = Data(#"{"capacity": 4, "order": [{"rawValue": "a"}, {"rawValue": "kst-00000001-3-s-X"}, {"rawValue": "a"}]}"#.utf8)
        var recent = try JSONDecoder().decode(RecentIDs<ClientOrderID>.self, from: json)
        #expect(recent.contains(ClientOrderID("a")) && recent.contains(ClientOrderID(run: RunID(value: 1), number: 3, role: .stop, symbol: "X")))
        let outcomes = [ClientOrderID("a"), ClientOrderID("b"), ClientOrderID("kst-00000001-3-s-X")].map { recent.insert($0) }
        #expect(outcomes == [false, true, false])
    }

    @Test func aSavedCapacityBelowOneIsKeptAsOne() throws {
        let json = Data(#"{"capacity": -5, "order": [{"rawValue": "a"}, {"rawValue": "b"}]}"#.utf8)
        let recent = try JSONDecoder().decode(RecentIDs<ClientOrderID>.self, from: json)
        #expect(recent.capacity == 1)
        #expect(recent.contains(ClientOrderID("b")) && !recent.contains(ClientOrderID("a")))
    }

    @Test func refusesASavedCapacityTooLargeToHold() {
        let json = Data(#"{"capacity": 1000000000000, "order": []}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RecentIDs<ClientOrderID>.self, from: json) }
    }
}
