import Foundation
import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Testing

/// The KuCoin venue against the fake's private half over loopback: orders placed, looked up and cancelled by client
/// order id, the account read back for reconciliation, and the faults a real exchange has.
@Suite struct KuCoinVenueTests {
    static let symbol = "XBTUSDTM"

    /// Runs `body` with a venue on the fake (its clock fixed, so signatures agree).
    static func withVenue<T: Sendable>(_ fake: FakeKuCoin, timeout: Duration = .seconds(60),
                                       settings: KuCoinVenue.Settings = .init(),
                                       _ body: (KuCoinVenue) async throws -> T) async throws -> T {
        try await fake.serve { url in
            try await RESTClientTests.withClient(url, timeout: timeout) { client in
                try await body(try await venue(client: client, settings: settings))
            }
        }
    }

    static func venue(client: KuCoinRESTClient, settings: KuCoinVenue.Settings = .init()) async throws -> KuCoinVenue {
        let clock = KuCoinServerClock(client: client, localMilliseconds: { RESTClientTests.now })
        let api = KuCoinPrivateAPI(client: client, credentials: PrivateAPITests.credentials, clock: clock)
        let market = KuCoinMarketData(client: client)
        let listing = try await market.listing()
        return KuCoinVenue(api: api, market: market, instruments: listing.instruments, fees: listing.fees,
                           settings: settings)
    }

    static func order(_ id: String, _ side: OrderSide = .buy, lots: Int = 5, kind: OrderKind = .market,
                      reduceOnly: Bool = false, purpose: OrderPurpose = .entry) -> OrderRequest {
        OrderRequest(id: ClientOrderID(id), symbol: symbol, side: side, lots: lots, kind: kind,
                     reduceOnly: reduceOnly, leverage: 5, purpose: purpose)
    }

    static func price(_ fake: FakeKuCoin) -> Double {
        fake.market.contracts.first { $0.symbol == symbol }?.lastTradePrice ?? 0
    }

    @Test func anEntryFillsAndItsStopRestsReduceOnlyOnTheMarkPrice() async throws {
        let fake = RESTClientTests.fake()
        let price = Self.price(fake)
        let (entry, stop, lookedUp) = try await Self.withVenue(fake) { venue in
            let entry = try await venue.place(Self.order("kst-t1-e"))
            // 3% under, and not on the tick: it leaves rounded to 0.1.
            let stop = try await venue.place(Self.order("kst-t1-s", .sell, kind: .stopMarket(trigger: price * 0.97 + 0.0123),
                                                        reduceOnly: true, purpose: .stopLoss))
            return (entry, stop, try await venue.order(ClientOrderID("kst-t1-s"), symbol: Self.symbol))
        }
        #expect(entry.status == .open && !entry.venueOrderID.isEmpty)
        #expect(stop.status == .open)
        let trading = fake.trading
        #expect(trading.positions[Self.symbol]?.quantity == 5)
        let resting = try #require(trading.orders["kst-t1-s"])
        #expect(resting.stop == "down" && resting.stopPriceType == "MP" && resting.reduceOnly)
        let trigger = Instrument.round(price * 0.97 + 0.0123, toTick: 0.1)
        #expect(abs((resting.stopPrice ?? 0) - trigger) < 1e-9)
        #expect(resting.marginMode == "ISOLATED" && resting.leverage == 5)
        // Read back as the engine sent it: a reduce-only stop-market sell at the rounded trigger, still resting.
        #expect(lookedUp?.status == .open)
        #expect(lookedUp?.request.kind == .stopMarket(trigger: trigger))
        #expect(lookedUp?.request.reduceOnly == true && lookedUp?.request.lots == 5)
        #expect(lookedUp?.request.purpose == .stopLoss)
    }

    @Test func theSnapshotHoldsThePositionTheStopTheWalletAndTheFillUnderItsClientID() async throws {
        let fake = RESTClientTests.fake()
        let price = Self.price(fake)
        let snapshot = try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t2-e"))
            _ = try await venue.place(Self.order("kst-t2-s", .sell, kind: .stopMarket(trigger: price * 0.9),
                                                 reduceOnly: true, purpose: .stopLoss))
            return try await venue.snapshot()
        }
        let position = try #require(snapshot.positions[Self.symbol])
        #expect(position.side == .long && position.lots == 5 && position.leverage == 5)
        #expect(abs(position.entryPrice - price) < 1e-6)
        #expect(snapshot.openOrders.map(\.id) == [ClientOrderID("kst-t2-s")])
        let fill = try #require(snapshot.recentFills.first)
        #expect(snapshot.recentFills.count == 1)
        #expect(fill.orderID == ClientOrderID("kst-t2-e") && fill.lots == 5 && fill.side == .buy)
        // KuCoin's fee: the taker rate on the fill's value (5 lots of 0.001 BTC).
        #expect(abs(fill.fee - price * 0.005 * 0.0006) < 1e-6)
        #expect(abs((snapshot.wallet ?? 0) - (10_000 - fill.fee)) < 1e-6)
    }

    @Test func aSecondVenueFindsTheFillsOfTheFirstByLookingTheirOrdersUp() async throws {
        let fake = RESTClientTests.fake()
        let fills = try await fake.serve { url in
            try await RESTClientTests.withClient(url) { client in
                let before = try await Self.venue(client: client)
                _ = try await before.place(Self.order("kst-t3-e"))
                // A restart: a venue that placed nothing learns the order's client id from KuCoin.
                let after = try await Self.venue(client: client)
                return try await after.snapshot().recentFills
            }
        }
        #expect(fills.map(\.orderID) == [ClientOrderID("kst-t3-e")])
        #expect(fake.received.contains { $0.path.hasPrefix("/api/v1/orders/") && !$0.path.hasSuffix("byClientOid") })
    }

    @Test func aClientIDUsedBeforeIsADuplicateNotASecondOrder() async throws {
        let fake = RESTClientTests.fake()
        let error = try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t4-e"))
            return await Self.failure { try await venue.place(Self.order("kst-t4-e")) }
        }
        #expect(error == .rejected(.duplicateOrderID(ClientOrderID("kst-t4-e"))))
        #expect(fake.trading.positions[Self.symbol]?.quantity == 5)
    }

    @Test func aServerErrorAfterTheOrderWasPlacedIsUnknownAndTheLookupFindsIt() async throws {
        let fake = RESTClientTests.fake()
        fake.inject(.afterActing(status: 503, code: "500000", message: "busy"), on: "/api/v1/orders")
        let (error, found) = try await Self.withVenue(fake) { venue in
            let error = await Self.failure { try await venue.place(Self.order("kst-t5-e")) }
            return (error, try await venue.order(ClientOrderID("kst-t5-e"), symbol: Self.symbol))
        }
        #expect(error?.mayHaveActed == true)
        #expect(found?.status == .filled && found?.filledLots == 5)
    }

    @Test func aTimeoutAfterTheOrderWasPlacedIsUnknownAndTheLookupFindsIt() async throws {
        let fake = RESTClientTests.fake()
        fake.inject(.stallAfterActing(milliseconds: 15_000), on: "/api/v1/orders")
        let (error, found) = try await Self.withVenue(fake, timeout: .seconds(5)) { venue in
            let error = await Self.failure { try await venue.place(Self.order("kst-t6-e")) }
            return (error, try await venue.order(ClientOrderID("kst-t6-e"), symbol: Self.symbol))
        }
        if case .outcomeUnknown = error {} else { Issue.record("expected an unknown outcome, got \(String(describing: error))") }
        #expect(found?.status == .filled)
    }

    @Test func anErrorBeforeActingLeavesNothingToFind() async throws {
        let fake = RESTClientTests.fake()
        fake.inject(.unavailable, on: "/api/v1/orders")
        let (error, found) = try await Self.withVenue(fake) { venue in
            let error = await Self.failure { try await venue.place(Self.order("kst-t7-e")) }
            return (error, try await venue.order(ClientOrderID("kst-t7-e"), symbol: Self.symbol))
        }
        #expect(error?.mayHaveActed == true)
        #expect(found == nil)
        #expect(fake.trading.positions.isEmpty)
    }

    @Test func aCancelTakesTheRestingOrderAndASecondCancelIsNoError() async throws {
        let fake = RESTClientTests.fake()
        let price = Self.price(fake)
        let found = try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t8-e", kind: .limit(price: price * 0.8)))
            try await venue.cancel(ClientOrderID("kst-t8-e"), symbol: Self.symbol)
            try await venue.cancel(ClientOrderID("kst-t8-e"), symbol: Self.symbol)
            return try await venue.order(ClientOrderID("kst-t8-e"), symbol: Self.symbol)
        }
        #expect(found?.status == .cancelled && found?.filledLots == 0)
        // KuCoin requires the symbol on a cancel by client id.
        #expect(fake.received.filter { $0.method == "DELETE" }.allSatisfy { $0.query["symbol"] == Self.symbol })
    }

    @Test func aFlatSymbolIsSwitchedToTheWantedMarginModeAndAnOpenOneKeepsItsOwn() async throws {
        let fake = RESTClientTests.fake()
        let ethPrice = fake.market.contracts.first { $0.symbol == "ETHUSDTM" }?.lastTradePrice ?? 0
        fake.updateTrading { trading in
            trading.marginModes[Self.symbol] = "CROSS"
            // ETH holds a cross position: KuCoin will not switch the symbol while it does.
            trading.marginModes["ETHUSDTM"] = "CROSS"
            trading.positions["ETHUSDTM"] = FakePosition(symbol: "ETHUSDTM", quantity: 2, entryPrice: ethPrice,
                                                         leverage: 3, marginMode: "CROSS", openedAt: RESTClientTests.now)
        }
        try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t9-e"))
            _ = try await venue.place(OrderRequest(id: ClientOrderID("kst-t9-x"), symbol: "ETHUSDTM", side: .buy,
                                                   lots: 1, kind: .market, reduceOnly: false, leverage: 3,
                                                   purpose: .entry))
        }
        #expect(fake.trading.marginModes[Self.symbol] == "ISOLATED")
        #expect(fake.trading.orders["kst-t9-e"]?.marginMode == "ISOLATED")
        // The ETH entry went in cross rather than be refused with 330005.
        #expect(fake.trading.marginMode(of: "ETHUSDTM") == "CROSS")
        #expect(fake.trading.orders["kst-t9-x"]?.marginMode == "CROSS")
        #expect(fake.trading.positions["ETHUSDTM"]?.quantity == 3)
        #expect(fake.received.filter { $0.path == "/api/v2/position/changeMarginMode" }.count == 2)
    }

    @Test func anOrderRefusedForAMarginModeChangedByHandIsSentAgainInTheNewMode() async throws {
        let fake = RESTClientTests.fake()
        try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t11-a", kind: .limit(price: Self.price(fake) * 0.5)))
            try await venue.cancel(ClientOrderID("kst-t11-a"), symbol: Self.symbol)
            // The user switches the symbol to cross on the website; the venue still believes isolated.
            fake.updateTrading { $0.marginModes[Self.symbol] = "CROSS" }
            _ = try await venue.place(Self.order("kst-t11-b", .sell, lots: 1, kind: .limit(price: Self.price(fake) * 2),
                                                 reduceOnly: true, purpose: .exit(.takeProfit)))
        }
        // Refused once with 330005, read again, and placed in the symbol's mode.
        #expect(fake.trading.orders["kst-t11-b"]?.marginMode == "CROSS")
        #expect(fake.received.filter { $0.path == "/api/v1/orders" && $0.method == "POST" }.count == 3)
    }

    @Test func aStopTheVenueRefusesIsRejectedWithItsReason() async throws {
        let fake = RESTClientTests.fake()
        fake.updateTrading { $0.refuseStops = 1 }
        let price = Self.price(fake)
        let error = try await Self.withVenue(fake) { venue in
            _ = try await venue.place(Self.order("kst-t10-e"))
            return await Self.failure {
                try await venue.place(Self.order("kst-t10-s", .sell, kind: .stopMarket(trigger: price * 0.95),
                                                 reduceOnly: true, purpose: .stopLoss))
            }
        }
        guard case .rejected(.refused(let reason)) = error else {
            Issue.record("expected a refusal, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("100001"))
    }

    /// The error `body` throws; nil when it returns.
    static func failure(_ body: () async throws -> VenueOrder) async -> VenueError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? VenueError ?? .unavailable("not a venue error: \(error)")
        }
    }
}
