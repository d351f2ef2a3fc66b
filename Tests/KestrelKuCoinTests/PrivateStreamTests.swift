import Foundation
import KestrelCore
@testable import KestrelKuCoin
import KestrelKuCoinFake
import Synchronization
import Testing

/// The account's private stream from the fake, as the venue protocol's events: fills under their client order ids,
/// stops acknowledged and triggered, positions, the wallet, and the stream's breaks.
@Suite struct PrivateStreamTests {
    /// What the venue has reported so far.
    final class EventLog: Sendable {
        private let events = Mutex<[VenueEvent]>([])

        func append(_ event: VenueEvent) { events.withLock { $0.append(event) } }
        var all: [VenueEvent] { events.withLock { $0 } }

        /// Waits until `condition` holds of what was reported (30 s at most, for a machine busy with the other
        /// tests' bots; then the test fails on what it saw).
        func until(_ what: String, _ condition: ([VenueEvent]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !condition(all) {
                guard ContinuousClock.now < deadline else {
                    Issue.record("waited 30 s for \(what); saw \(all)")
                    return
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        var fills: [Fill] { all.compactMap { if case .exchange(.fill(let fill)) = $0 { fill } else { nil } } }
    }

    /// Runs `body` with a venue whose private stream runs, and the log of what it reports.
    static func withStream<T: Sendable>(_ fake: FakeKuCoin,
                                        _ body: (KuCoinVenue, EventLog) async throws -> T) async throws -> T {
        try await KuCoinVenueTests.withVenue(fake) { venue in
            let log = EventLog()
            let reader = Task { for await event in venue.events { log.append(event) } }
            let stream = Task { await venue.runStream(longestBackoff: .milliseconds(200)) }
            defer {
                stream.cancel()
                reader.cancel()
            }
            try await log.until("the stream to come up") { $0.contains(.connectionRestored) }
            return try await body(venue, log)
        }
    }

    @Test func anEntryFilledInPiecesArrivesAsFillsThenThePositionAndTheWallet() async throws {
        let fake = RESTClientTests.fake()
        fake.updateTrading { $0.marketFillPieces = 3 }
        let id = ClientOrderID("kst-p1-e")
        let log = try await Self.withStream(fake) { venue, log in
            _ = try await venue.place(KuCoinVenueTests.order(id.rawValue))
            try await log.until("the wallet after the fills") { events in
                events.contains { if case .wallet = $0 { true } else { false } }
                    && events.contains { if case .position(_?, _) = $0 { true } else { false } }
            }
            return log
        }
        let fills = log.fills
        #expect(fills.count == 3)
        #expect(fills.allSatisfy { $0.orderID == id && $0.side == .buy && $0.fee > 0 })
        #expect(fills.map(\.lots).reduce(0, +) == 5)
        #expect(Set(fills.map(\.tradeID)).count == 3)
        let positions = log.all.compactMap { if case .position(let position?, _) = $0 { position } else { nil } }
        #expect(positions.last?.lots == 5 && positions.last?.side == .long)
        // The fills' trade ids are the ones KuCoin lists afterwards: the engine counts each once.
        let listed = try await KuCoinVenueTests.withVenue(fake) { try await $0.snapshot().recentFills }
        #expect(Set(listed.map(\.tradeID)) == Set(fills.map(\.tradeID)))
    }

    @Test func aStopIsAcknowledgedAndItsTriggerFillsUnderItsOwnID() async throws {
        let fake = RESTClientTests.fake()
        let price = KuCoinVenueTests.price(fake)
        let stop = ClientOrderID("kst-p2-s")
        let log = try await Self.withStream(fake) { venue, log in
            _ = try await venue.place(KuCoinVenueTests.order("kst-p2-e"))
            _ = try await venue.place(KuCoinVenueTests.order(stop.rawValue, .sell, kind: .stopMarket(trigger: price * 0.98),
                                                             reduceOnly: true, purpose: .stopLoss))
            try await log.until("the stop's acknowledgement") { $0.contains(.exchange(.accepted(stop, symbol: KuCoinVenueTests.symbol))) }
            fake.setPrice(KuCoinVenueTests.symbol, price * 0.97)
            try await log.until("the position closed") { events in
                events.contains { if case .position(nil, KuCoinVenueTests.symbol) = $0 { true } else { false } }
            }
            return log
        }
        let exit = log.fills.filter { $0.orderID == stop }
        #expect(exit.map(\.lots).reduce(0, +) == 5)
        #expect(exit.allSatisfy { $0.side == .sell })
        #expect(fake.trading.positions[KuCoinVenueTests.symbol] == nil
            || fake.trading.positions[KuCoinVenueTests.symbol]?.quantity == 0)
    }

    @Test func anExpiredTokenAndADroppedConnectionAreALossThenARestore() async throws {
        let fake = RESTClientTests.fake()
        let log = try await Self.withStream(fake) { _, log in
            fake.expireTokens()
            fake.dropConnections()
            try await log.until("a second restore") { $0.filter { $0 == .connectionRestored }.count >= 2 }
            return log
        }
        let breaks = log.all.filter { if case .connectionLost = $0 { true } else { false } }
        #expect(breaks.count >= 1)
        // Each connection asked for a bullet of its own, signed: the expired token was not used again.
        #expect(fake.received.filter { $0.path == "/api/v1/bullet-private" }.count >= 2)
    }

    @Test func aKeyRevokedWhileStreamingEndsTheStreamWithOneRefusalInsteadOfRetrying() async throws {
        let fake = RESTClientTests.fake()
        try await KuCoinVenueTests.withVenue(fake) { venue in
            let log = EventLog()
            let reader = Task { for await event in venue.events { log.append(event) } }
            defer { reader.cancel() }
            // Must end by itself, before the test cancels it.
            let ended = Mutex(false)
            let stream = Task {
                await venue.runStream(longestBackoff: .milliseconds(50))
                ended.withLock { $0 = true }
            }
            try await log.until("the stream to come up") { $0.contains(.connectionRestored) }
            fake.updateAccount { $0.key.key = "6700000000000000000000ff" }
            fake.dropConnections()
            try await log.until("the refusal") { events in
                events.contains { if case .authenticationRefused = $0 { true } else { false } }
            }
            try await Task.sleep(for: .milliseconds(500))
            let bullets = fake.received.filter { $0.path == "/api/v1/bullet-private" }.count
            // The first connection's token, then the one refused: no third attempt in half a second of 50 ms pauses.
            #expect(bullets == 2)
            #expect(ended.withLock { $0 }, "the stream kept running after the key was refused")
            stream.cancel()
            let refusal = log.all.compactMap { if case .authenticationRefused(let reason) = $0 { reason } else { nil } }
            #expect(refusal.count == 1 && refusal[0].contains("400003"), "\(refusal)")
        }
    }

    @Test func aDuplicatedPushIsPassedOnWithItsTradeIDForTheEngineToCountOnce() async throws {
        let fake = RESTClientTests.fake()
        fake.updateTrading { $0.duplicatePushes = true }
        let log = try await Self.withStream(fake) { venue, log in
            _ = try await venue.place(KuCoinVenueTests.order("kst-p4-e"))
            try await log.until("two reports of the fill") { _ in log.fills.count >= 2 }
            return log
        }
        #expect(Set(log.fills.map(\.tradeID)).count == 1)
    }
}
