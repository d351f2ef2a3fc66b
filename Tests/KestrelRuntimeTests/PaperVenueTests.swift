import Foundation
import KestrelCore
import KestrelRuntime
import Synchronization
import Testing

/// The paper venue answers as a venue does, and misbehaves exactly as its faults say.
@Suite struct PaperVenueTests {
    static let instrument = Instrument(symbol: "AAAUSDT", base: "AAA", quote: "USDT", contractMultiplier: 0.01,
                                       tickSize: 0.01, maxLeverage: 50)

    func venue(_ spec: String, store: PaperVenueStore? = nil) throws -> PaperVenue {
        let exchange = PaperExchange(instruments: [Self.instrument],
                                     settings: PaperExchangeSettings(slippage: 0, fundingRate: 0))
        return try PaperVenue(exchange: exchange, faults: PaperFaults(parsing: spec), store: store, now: { t0 },
                              logger: quietLogger("venue"))
    }

    func order(_ id: String, _ side: OrderSide = .buy, lots: Int = 40, kind: OrderKind = .market,
               reduceOnly: Bool = false) -> OrderRequest {
        OrderRequest(id: ClientOrderID(id), symbol: "AAAUSDT", side: side, lots: lots, kind: kind,
                     reduceOnly: reduceOnly, leverage: 5, purpose: .entry)
    }

    /// Everything the stream has said so far.
    func drain(_ venue: PaperVenue) async -> [VenueEvent] {
        await venue.close()
        var events = [VenueEvent]()
        for await event in venue.events { events.append(event) }
        return events
    }

    func fills(_ events: [VenueEvent]) -> [Fill] {
        events.compactMap { if case .exchange(.fill(let fill)) = $0 { fill } else { nil } }
    }

    @Test func aMarketOrderFilledInPiecesAddsUpToTheOrder() async throws {
        let paper = try venue("partial=1,seed=3")
        await paper.price("AAAUSDT", 100, at: t0)
        let placed = try await paper.place(order("e1"))
        #expect(placed.status == .filled)
        let pieces = fills(await drain(paper))
        #expect((2...4).contains(pieces.count))
        #expect(pieces.reduce(0) { $0 + $1.lots } == 40 && Set(pieces.map(\.tradeID)).count == pieces.count)
        let whole = 0.4 * 100 * 0.0006
        #expect(abs(pieces.reduce(0) { $0 + $1.fee } - whole) < 1e-12)
        #expect(try await paper.snapshot().recentFills == pieces)
    }

    @Test func aTimeoutOrAnErrorAfterActingLeavesTheOrderPlacedAndFindable() async throws {
        for spec in ["timeout=1", "error-after=1"] {
            let paper = try venue(spec)
            await paper.price("AAAUSDT", 100, at: t0)
            await #expect(throws: VenueError.self) { try await paper.place(order("e1")) }
            do {
                _ = try await paper.place(order("e2"))
            } catch {
                #expect(error.mayHaveActed)
            }
            #expect(await paper.exchange.positions["AAAUSDT"]?.lots == 80)
            // Sent again under the same id, it is not placed twice.
            _ = try? await paper.place(order("e1"))
            #expect(await paper.exchange.positions["AAAUSDT"]?.lots == 80)
        }
    }

    @Test func anErrorBeforeActingLeavesNothing() async throws {
        let paper = try venue("error-before=1")
        await paper.price("AAAUSDT", 100, at: t0)
        do {
            _ = try await paper.place(order("e1"))
            Issue.record("placed")
        } catch {
            #expect(error == .unavailable("HTTP 503 before the request was handled") && error.mayHaveActed)
        }
        #expect(await paper.exchange.positions.isEmpty)
    }

    @Test func aStopCanBeRefusedAndAFillReportedTwice() async throws {
        let paper = try venue("reject-stop=1,duplicate=1")
        await paper.price("AAAUSDT", 100, at: t0)
        _ = try await paper.place(order("e1"))
        await #expect(throws: VenueError.rejected(.refused("stop order refused (paper fault)"))) {
            try await paper.place(order("s1", .sell, kind: .stopMarket(trigger: 95), reduceOnly: true))
        }
        let reported = fills(await drain(paper))
        #expect(reported.count == 2 && reported[0] == reported[1])
    }

    @Test func theStreamDropsAndSaysWhenItIsBack() async throws {
        let paper = try venue("drop=1")
        await paper.price("AAAUSDT", 100, at: t0)
        _ = try await paper.place(order("e1"))
        // Lost while the stream is down; back 30 s later, it says so.
        await paper.price("AAAUSDT", 101, at: t0 + 10)
        await paper.price("AAAUSDT", 102, at: t0 + 31)
        let events = await drain(paper)
        #expect(events.first == .connectionLost(reason: "paper fault: the stream dropped"))
        #expect(events.contains(.connectionRestored) && fills(events).isEmpty)
        // What was lost is in the snapshot.
        #expect(try await paper.snapshot().recentFills.count == 1)
    }

    @Test func theSameSeedMisbehavesTheSameWay() async throws {
        func outcomes(_ seed: Int) async throws -> [String] {
            let paper = try venue("partial=0.5,timeout=0.3,error-before=0.2,duplicate=0.3,seed=\(seed)")
            await paper.price("AAAUSDT", 100, at: t0)
            var outcomes = [String]()
            for index in 0..<20 {
                do {
                    _ = try await paper.place(order("o\(index)", index % 2 == 0 ? .buy : .sell, lots: 10))
                    outcomes.append("ok")
                } catch {
                    outcomes.append("\(error)")
                }
            }
            let events = await drain(paper)
            return outcomes + events.map { "\($0)" }
        }
        #expect(try await outcomes(7) == outcomes(7))
        #expect(try await outcomes(7) != outcomes(8))
    }

    @Test func itsStateSurvivesARestartInItsOwnFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paper-\(UUID()).json").path
        let store = PaperVenueStore(path: path)
        let first = try venue("none", store: store)
        await first.price("AAAUSDT", 100, at: t0)
        _ = try await first.place(order("e1"))
        _ = try await first.place(order("s1", .sell, kind: .stopMarket(trigger: 95), reduceOnly: true))
        let second = try venue("none", store: store)
        #expect(await second.exchange.positions == first.exchange.positions)
        #expect(try await second.order(ClientOrderID("s1"), symbol: "AAAUSDT")?.status == .open)
        #expect(try await second.snapshot().recentFills.map(\.orderID) == [ClientOrderID("e1")])
        // A file that is not the venue's state is refused with its path, not taken for an empty venue.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PaperVenueStore.Failure.self) { try venue("none", store: store) }
    }

    @Test func faultSpecificationsNameWhatIsWrong() throws {
        let faults = try PaperFaults(parsing: "partial=0.5,duplicate=0.1,timeout=0.05,error-after=0.05,seed=7,latency=200")
        #expect(faults.partial == 0.5 && faults.seed == 7 && faults.latencyMilliseconds == 200 && faults.isActive)
        #expect(!(try PaperFaults(parsing: "none")).isActive)
        for (bad, says) in [("partial=2", "partial=2"), ("sometimes=0.1", "unknown fault 'sometimes'"),
                            ("timeout", "'timeout' is not NAME=VALUE"), ("seed=-1", "seed=-1")] {
            do {
                _ = try PaperFaults(parsing: bad)
                Issue.record("\(bad) accepted")
            } catch {
                #expect(error.description.contains(says), "\(error)")
            }
        }
    }
}
