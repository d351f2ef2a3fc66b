import KestrelCore
import KestrelRuntime
import Synchronization
import Testing

/// A venue that refuses the account's key: the router says so once per request and never retries, and the desk
/// stops trading for good.
@Suite struct RefusedKeyTests {
    /// Every request refused for its key; counts the requests.
    final class RefusingVenue: Venue {
        let name = "refusing"
        let requests = Mutex(0)
        let (events, eventsOut) = AsyncStream.makeStream(of: VenueEvent.self)
        private var refused: VenueError { .authentication("400003 KC-API-KEY not exists") }

        func place(_ order: OrderRequest) async throws(VenueError) -> VenueOrder {
            requests.withLock { $0 += 1 }
            throw refused
        }
        func cancel(_ id: ClientOrderID, symbol: String) async throws(VenueError) {
            requests.withLock { $0 += 1 }
            throw refused
        }
        func replaceStop(_ old: ClientOrderID, with new: OrderRequest) async throws(VenueError) -> VenueOrder {
            try await placeThenCancel(old, with: new)
        }
        func order(_ id: ClientOrderID, symbol: String) async throws(VenueError) -> VenueOrder? {
            requests.withLock { $0 += 1 }
            throw refused
        }
        func snapshot() async throws(VenueError) -> VenueSnapshot {
            requests.withLock { $0 += 1 }
            throw refused
        }
        func instruments() async throws(VenueError) -> [Instrument] { throw refused }
    }

    static let order = OrderRequest(id: ClientOrderID("kst-t-1-e"), symbol: "AAAUSDT", side: .buy, lots: 4,
                                    kind: .market, reduceOnly: false, leverage: 5, purpose: .entry)

    @Test func anOrderRefusedForItsKeyIsAnsweredOnceAndNeverRetried() async throws {
        let venue = RefusingVenue()
        let router = OrderRouter(venue: venue, backoff: .milliseconds(1))
        router.submit(.place(Self.order))
        router.submit(.cancel(ClientOrderID("kst-t-0-s"), symbol: "AAAUSDT"))
        router.finish()
        await router.run()
        var answers = [OrderAnswer]()
        for await answer in router.answers { answers.append(answer) }
        #expect(venue.requests.withLock { $0 } == 2)
        let refusals = answers.filter { if case .authenticationRefused = $0 { true } else { false } }
        #expect(refusals.count == 2)
        #expect(answers.contains { if case .rejected(let order, _) = $0 { order.id == Self.order.id } else { false } })
    }

    @Test func theDeskStopsTradingForGoodWhenTheVenueRefusesTheKey() async throws {
        let venue = RefusingVenue()
        let router = OrderRouter(venue: venue, backoff: .milliseconds(1))
        let engine = TradingEngine(settings: EngineSettings(), instruments: testInstruments, startingCash: 1_000,
                                   revalidator: ConfirmsBuy(), startTime: t0, runID: RunID(startedAt: t0, entropy: 0))
        let desk = TradingDesk(engine: engine, venue: venue, router: router, recorder: RunRecorder(),
                               logger: quietLogger("desk"))
        // A reconciliation whose snapshot is refused: no retries, the desk halts and says why.
        let report = await desk.reconcile(at: t0)
        #expect(report == nil)
        #expect(venue.requests.withLock { $0 } == 1)
        #expect(await desk.haltReason?.contains("400003") == true)
        #expect(desk.statusBoard.status.haltReason?.contains("400003") == true)
        var halts = desk.halts.makeAsyncIterator()
        #expect(await halts.next()?.contains("400003") == true)
        #expect(await halts.next() == nil, "the run is told once")
        // Nothing more will be answered: the shutdown does not wait for it.
        await desk.untilAnswered()
    }
}
