import Foundation
import KestrelCore
import Testing

/// The engine on its own, with a venue played by the test: answers come late, in pieces, twice, or not at all, as a
/// real exchange's do.
struct VenueScript {
    static let t0 = EngineHarness.t0
    var engine: TradingEngine
    let signals = StubRevalidator()
    var commands: [EngineCommand] = []
    var notes: [EngineNote] = []
    var trades = 0

    init(settings: EngineSettings = EngineSettings()) {
        engine = TradingEngine(settings: settings, instruments: EngineHarness.instruments, startingCash: 10_000,
                               revalidator: signals, startTime: Self.t0, runID: RunID(startedAt: Self.t0, entropy: 9))
    }

    /// What the engine asks for in answer to `event`.
    @discardableResult
    mutating func send(_ event: EngineEvent) -> [EngineCommand] {
        let output = engine.handle(event)
        commands += output.commands
        notes += output.notes
        return output.commands
    }

    @discardableResult
    mutating func price(_ price: Double, at time: Timestamp, _ symbol: String = "AAAUSDT") -> [EngineCommand] {
        send(.price(symbol: symbol, price: price, time: time))
    }

    /// A fill of `lots` of `order` at `price`, with its own trade id unless one is given.
    @discardableResult
    mutating func fill(_ order: OrderRequest, lots: Int, price: Double, at time: Timestamp,
                       trade: String? = nil) -> [EngineCommand] {
        trades += 1
        return send(.exchange(.fill(Fill(orderID: order.id, tradeID: TradeID(trade ?? "T\(trades)"), symbol: order.symbol,
                                         side: order.side, lots: lots, price: price, fee: 0.01 * Double(lots),
                                         time: time))))
    }

    @discardableResult
    mutating func accept(_ order: OrderRequest) -> [EngineCommand] {
        send(.exchange(.accepted(order.id, symbol: order.symbol)))
    }

    /// A long entry on AAAUSDT at 100, sent and not yet answered.
    mutating func enterLong() throws -> OrderRequest {
        signals.set("AAAUSDT", .buy)
        price(100, at: Self.t0)
        let result = SignalResult(symbol: "AAAUSDT", dataTime: Self.t0, signal: .buy, confidence: 0.8, score: 100,
                                  regime: .neutral, price: 100, bbWidth: 0.04, atr: 1, momentum: 0.01, rsi: 50,
                                  reasons: [])
        let opportunity = Opportunity(result: result, price: 100, dataTime: Self.t0,
                                      instrument: EngineHarness.instruments[0])
        let sent = send(.snapshot(ScanSnapshot(sequence: 1, opportunities: [opportunity], scanStarted: Self.t0,
                                               scanFinished: Self.t0)))
        return try #require(sent.placed.first { $0.purpose == .entry })
    }

    var position: ManagedPosition? { engine.positions["AAAUSDT"] }
}

extension [EngineCommand] {
    var placed: [OrderRequest] { compactMap { if case .place(let order) = $0 { order } else { nil } } }
    var replaced: [(old: ClientOrderID, new: OrderRequest)] {
        compactMap { if case .replaceStop(let old, let new) = $0 { (old, new) } else { nil } }
    }
    var cancelled: [ClientOrderID] { compactMap { if case .cancel(let id, _) = $0 { id } else { nil } } }
    var stops: [OrderRequest] { placed.filter { $0.purpose == .stopLoss } }
    var targets: [OrderRequest] { placed.filter { if case .limit = $0.kind { true } else { false } } }
}

@Suite struct OrderLifecycleTests {
    let t0 = VenueScript.t0

    @Test func anEntryFilledInPiecesGrowsOnePositionWhoseStopCoversWhatFilled() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        #expect(entry.lots >= 3)
        let first = entry.lots / 3, second = entry.lots / 3, last = entry.lots - first - second
        // The first piece opens the position; its stop covers that piece; the targets wait for the whole entry.
        let opened = v.fill(entry, lots: first, price: 100, at: t0)
        let stop1 = try #require(opened.stops.first)
        #expect(opened.stops.count == 1 && stop1.lots == first && opened.targets.isEmpty)
        #expect(v.position?.lots == first && v.position?.stopState == .pending)
        v.accept(stop1)
        #expect(v.position?.stopState == .acknowledged)
        // The second piece grows it at the average price and resizes the stop: new first, old cancelled after.
        let grown = v.fill(entry, lots: second, price: 101, at: t0 + 1)
        let resize = try #require(grown.replaced.first)
        #expect(grown.placed.isEmpty && resize.old == stop1.id && resize.new.lots == first + second)
        let average = (100 * Double(first) + 101 * Double(second)) / Double(first + second)
        #expect(abs((v.position?.entryPrice ?? 0) - average) < 1e-9)
        #expect(v.position?.isProtected == true && v.position?.standingStopID == stop1.id)
        v.accept(resize.new)
        v.send(.exchange(.orderCancelled(stop1.id, symbol: "AAAUSDT")))
        #expect(v.position?.standingStopID == nil && v.position?.stopState == .acknowledged)
        // The last piece: the stop covers the whole entry, and the targets go out for all of it.
        let done = v.fill(entry, lots: last, price: 102, at: t0 + 2)
        #expect(done.replaced.first?.new.lots == entry.lots)
        #expect(done.targets.reduce(0) { $0 + $1.lots } == entry.lots)
        #expect(v.position?.lots == entry.lots && v.position?.initialLots == entry.lots)
        #expect(v.position?.entryOrderID == nil)
        #expect(v.engine.statistics.tradesOpened == 1 && v.engine.statistics.closedTrades.isEmpty)
        #expect(abs(v.engine.cash - (10_000 - 0.01 * Double(entry.lots))) < 1e-9)
    }

    @Test func aPieceThatArrivesWhileTheStopIsPendingResizesItOnceAcknowledged() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: 1, price: 100, at: t0).stops.first)
        // One stop request at a time: the second piece waits for the first stop's answer.
        #expect(v.fill(entry, lots: entry.lots - 1, price: 100, at: t0 + 1).stops.isEmpty)
        let resize = try #require(v.accept(stop).replaced.first)
        #expect(resize.old == stop.id && resize.new.lots == entry.lots)
    }

    @Test func theRestOfAnEntryCancelledLeavesThePositionAsFilledWithItsTargets() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        v.fill(entry, lots: 2, price: 100, at: t0)
        let after = v.send(.exchange(.orderCancelled(entry.id, symbol: "AAAUSDT")))
        #expect(v.position?.lots == 2 && v.position?.entryOrderID == nil)
        #expect(after.targets.reduce(0) { $0 + $1.lots } == 2)
        // A late piece of that order now is not the entry's: it is not taken as an exit either.
        #expect(v.position?.lots == 2)
    }

    @Test func aFillReportedTwiceIsCountedOnceEvenAfterARestart() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        v.fill(entry, lots: entry.lots, price: 100, at: t0, trade: "T-1")
        let cash = v.engine.cash
        let again = v.fill(entry, lots: entry.lots, price: 100, at: t0 + 1, trade: "T-1")
        #expect(again.isEmpty && v.position?.lots == entry.lots && v.engine.cash == cash)
        #expect(v.engine.statistics.duplicateFills == 1)
        #expect(v.notes.contains { if case .duplicateFill = $0 { true } else { false } })
        // The engine restarted from its saved state, told the trades the journal recorded, still knows the trade.
        let saved = try JSONDecoder().decode(EngineState.self, from: JSONEncoder().encode(v.engine.state))
        var restored = TradingEngine(settings: EngineSettings(), instruments: EngineHarness.instruments,
                                     revalidator: v.signals, restoring: saved, closedTrades: [],
                                     newRunID: RunID(value: 1))
        restored.remember(tradeIDs: ["T-0", "T-1"])
        let output = restored.handle(.exchange(.fill(Fill(orderID: entry.id, tradeID: "T-1", symbol: "AAAUSDT",
                                                          side: .buy, lots: entry.lots, price: 100, fee: 1,
                                                          time: t0 + 2))))
        #expect(output.commands.isEmpty && restored.positions["AAAUSDT"]?.lots == entry.lots)
        #expect(restored.runID == v.engine.runID)
    }

    @Test func anExitFilledInPiecesSendsNoSecondExitAndBooksOneTrade() throws {
        var v = VenueScript(settings: EngineSettings(maxHoldSeconds: 60))
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first)
        v.accept(stop)
        let exit = try #require(v.send(.tick(t0 + 60)).placed.first)
        #expect(exit.purpose == .exit(.maxHold) && exit.lots == entry.lots && exit.reduceOnly)
        v.fill(exit, lots: 1, price: 101, at: t0 + 61)
        #expect(v.position?.lots == entry.lots - 1 && v.engine.statistics.closedTrades.isEmpty)
        // Still in flight: no other exit goes out, not even when the next tick finds the position too old.
        #expect(v.send(.tick(t0 + 65)).placed.isEmpty)
        let closing = v.fill(exit, lots: entry.lots - 1, price: 102, at: t0 + 66)
        let trade = try #require(v.engine.statistics.closedTrades.first)
        #expect(v.engine.statistics.closedTrades.count == 1 && trade.reason == .maxHold && trade.lots == entry.lots)
        #expect(abs(trade.exitPrice - (101 + 102 * Double(entry.lots - 1)) / Double(entry.lots)) < 1e-9)
        #expect(closing.cancelled.contains(stop.id))
    }

    @Test func untilTheVenueAcknowledgesTheStopTheEngineWatchesItsPrice() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        v.fill(entry, lots: entry.lots, price: 100, at: t0)
        let stopPrice = try #require(v.position?.stopPrice)
        // The stop is sent and not answered: the price falls through it, and the engine exits by market.
        let exit = try #require(v.price(stopPrice - 0.5, at: t0 + 1).placed.first)
        #expect(exit.kind == .market && exit.purpose == .exit(.stopLoss) && exit.lots == entry.lots)
    }

    @Test func aRefusedStopIsSentAgainAndAPositionThatGetsNoneIsClosed() throws {
        var v = VenueScript(settings: EngineSettings(stopGraceSeconds: 10, stopRetrySeconds: 2))
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first)
        v.send(.rejected(stop, .badPrice(1), time: t0 + 1))
        #expect(v.position?.stopState == .missing && v.position?.stopOrderID == nil)
        // Not at once: after the retry delay.
        #expect(v.price(100, at: t0 + 2).stops.isEmpty)
        let retry = try #require(v.price(100, at: t0 + 3).stops.first)
        #expect(retry.id != stop.id && retry.lots == entry.lots)
        v.send(.rejected(retry, .badPrice(1), time: t0 + 4))
        let again = try #require(v.send(.tick(t0 + 6)).stops.first)
        v.send(.rejected(again, .badPrice(1), time: t0 + 7))
        // Ten seconds without a stop since the fill: the position is closed rather than left unprotected.
        let closing = v.send(.tick(t0 + 10))
        let exit = try #require(closing.placed.first { $0.purpose == .exit(.noStop) })
        #expect(exit.lots == entry.lots && exit.kind == .market)
        #expect(v.engine.statistics.closedUnprotected == 1)
        #expect(v.notes.contains { if case .unprotected("AAAUSDT", 10) = $0 { true } else { false } })
    }

    @Test func stopMovesAreSpacedAndWaitForTheVenuesAnswer() throws {
        var v = VenueScript(settings: EngineSettings(partialTakeProfits: [], stopAmendIntervalSeconds: 5))
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first)
        v.accept(stop)
        // Far enough in favour for break-even: the stop is replaced, new first.
        let move = try #require(v.price(102, at: t0 + 10).replaced.first)
        #expect(move.old == stop.id)
        // While the replacement is not answered, no other move goes out, however far the price runs.
        #expect(v.price(104, at: t0 + 20).replaced.isEmpty)
        v.accept(move.new)
        v.send(.exchange(.orderCancelled(stop.id, symbol: "AAAUSDT")))
        // Answered: the next move goes out, but not within five seconds of the last.
        let next = try #require(v.price(105, at: t0 + 21).replaced.first)
        v.accept(next.new)
        #expect(v.price(107, at: t0 + 24).replaced.isEmpty)
        #expect(v.price(107, at: t0 + 26).replaced.count == 1)
        #expect(v.engine.statistics.stopsReplaced == 3)
    }

    @Test func aRefusedReplacementLeavesTheOldStopStandingAndIsTriedAgain() throws {
        var v = VenueScript(settings: EngineSettings(partialTakeProfits: [], stopRetrySeconds: 2))
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first)
        v.accept(stop)
        let move = try #require(v.price(102, at: t0 + 10).replaced.first)
        v.send(.rejected(move.new, .badPrice(1), time: t0 + 11))
        // The old stop still rests on the venue: the position is protected, and the engine watches the new price.
        let position = try #require(v.position)
        #expect(position.isProtected && position.standingStopID == stop.id && position.stopState == .missing)
        let retry = try #require(v.price(102, at: t0 + 13).replaced.first)
        #expect(retry.old == stop.id && retry.new.kind == .stopMarket(trigger: position.stopPrice))
        #expect(v.engine.statistics.closedUnprotected == 0)
    }

    @Test func everyOrderIDCarriesTheRunAndFitsAnExchange() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        let opened = v.fill(entry, lots: entry.lots, price: 100, at: t0)
        for order in [entry] + opened.placed {
            #expect(order.id.rawValue.hasPrefix("kst-\(v.engine.runID.text)-"))
            #expect(order.id.rawValue.utf8.count <= 40)
        }
    }

    @Test func aDelistedContractIsNotEnteredAgainAndANewListingCanBe() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        v.fill(entry, lots: entry.lots, price: 100, at: t0)
        // AAA is delisted while held, and FFF listed.
        let fff = Instrument(symbol: "FFFUSDT", base: "FFF", quote: "USDT", contractMultiplier: 0.01, tickSize: 0.01,
                             maxLeverage: 50)
        v.engine.updateListing(Array(EngineHarness.instruments.dropFirst()) + [fff])
        #expect(v.engine.instruments["AAAUSDT"] == nil && v.engine.instruments["FFFUSDT"] == fff)
        // The position is still managed: its stop still moves (here, it is not yet acknowledged: the engine watches).
        let stopPrice = try #require(v.position?.stopPrice)
        let exit = try #require(v.price(stopPrice - 0.1, at: t0 + 1).placed.first)
        #expect(exit.purpose == .exit(.stopLoss) && exit.symbol == "AAAUSDT")
        // A new opportunity on the delisted contract is not taken; one on the new listing is.
        v.signals.set("FFFUSDT", .buy)
        v.price(50, at: t0 + 2, "FFFUSDT")
        v.price(stopPrice - 0.1, at: t0 + 2)
        func opportunity(_ instrument: Instrument, _ price: Double) -> Opportunity {
            let result = SignalResult(symbol: instrument.symbol, dataTime: t0, signal: .buy, confidence: 0.8,
                                      score: 100, regime: .neutral, price: price, bbWidth: 0.04, atr: 1,
                                      momentum: 0.01, rsi: 50, reasons: [])
            return Opportunity(result: result, price: price, dataTime: t0, instrument: instrument)
        }
        let sent = v.send(.snapshot(ScanSnapshot(sequence: 2, opportunities: [opportunity(EngineHarness.instruments[0], stopPrice - 0.1),
                                                                              opportunity(fff, 50)],
                                                 scanStarted: t0 + 2, scanFinished: t0 + 2)))
        #expect(sent.placed.filter { $0.purpose == .entry }.map(\.symbol) == ["FFFUSDT"], "\(v.notes.filter { if case .skipped = $0 { true } else { false } })")
        #expect(v.notes.contains { if case .skipped("AAAUSDT", let why) = $0 { why.hasPrefix("not listed") } else { false } })
    }

    @Test func theStopAReplacementAcknowledgedReplacesIsNoLongerCountedOn() throws {
        var v = VenueScript(settings: EngineSettings(partialTakeProfits: []))
        let entry = try v.enterLong()
        let stop = try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first)
        v.accept(stop)
        let move = try #require(v.price(102, at: t0 + 10).replaced.first)
        v.accept(move.new)
        // The venue failed to cancel the old one: it still rests, and reconciliation cancels it as an orphan.
        #expect(v.position?.standingStopID == nil && v.position?.isProtected == true)
        let position = ExchangePosition(symbol: "AAAUSDT", side: .long, lots: entry.lots, entryPrice: 100,
                                        leverage: entry.leverage, margin: 1)
        let resting = [stop, move.new] + v.commands.targets
        let snapshot = VenueSnapshot(positions: ["AAAUSDT": position],
                                     openOrders: resting.map { VenueOrder(request: $0, venueOrderID: "v", status: .open, filledLots: 0) },
                                     wallet: nil, recentFills: [])
        let (report, output) = v.engine.reconcile(with: snapshot, at: t0 + 20)
        #expect(report.orphansCancelled == [stop.id] && output.commands.cancelled == [stop.id])
    }

    @Test func nothingIsEnteredOnceShuttingDown() throws {
        var v = VenueScript(settings: EngineSettings(closePositionsOnShutdown: true))
        let entry = try v.enterLong()
        v.accept(try #require(v.fill(entry, lots: entry.lots, price: 100, at: t0).stops.first))
        let exit = try #require(v.send(.shutdown(t0 + 1)).placed.first)
        #expect(exit.purpose == .exit(.shutdown))
        // The exit fills and frees the slot; a fresh snapshot would be traded, but the bot is stopping.
        v.signals.set("BBBUSDT", .buy)
        v.price(100, at: t0 + 2, "BBBUSDT")
        let closing = v.fill(exit, lots: entry.lots, price: 100, at: t0 + 2)
        #expect(closing.placed.isEmpty && v.engine.positions.isEmpty)
    }

    @Test func fundingDueBeforeAPositionOpenedIsNotItsOwn() throws {
        var v = VenueScript()
        let entry = try v.enterLong()
        v.fill(entry, lots: entry.lots, price: 100, at: t0 + 3600)
        let position = ExchangePosition(symbol: "AAAUSDT", side: .long, lots: entry.lots, entryPrice: 100,
                                        leverage: entry.leverage, margin: 1)
        // The venue's latest funding lists a payment made on an earlier AAA position, and one on this one.
        let earlier = FundingPayment(symbol: "AAAUSDT", amount: -4, time: t0)
        let own = FundingPayment(symbol: "AAAUSDT", amount: -1, time: t0 + 7200)
        let snapshot = VenueSnapshot(positions: ["AAAUSDT": position], openOrders: [], wallet: nil, recentFills: [],
                                     recentFunding: [earlier, own])
        _ = v.engine.reconcile(with: snapshot, at: t0 + 7300)
        #expect(v.engine.positions["AAAUSDT"]?.funding == -1)
        // Heard again, it is not counted twice either.
        _ = v.engine.reconcile(with: snapshot, at: t0 + 7400)
        #expect(v.engine.positions["AAAUSDT"]?.funding == -1)
    }
}
