import Foundation
import Testing
@testable import KestrelCore

@Suite struct ClientOrderIDTests {
    @Test func anEngineIDIsItsTextAndEqualsThatTextParsed() {
        let made = ClientOrderID(number: 42, role: .stop, symbol: "BTC-USDT")
        #expect(made.rawValue == "kst-42-stop-BTC-USDT")
        let parsed = ClientOrderID("kst-42-stop-BTC-USDT")
        #expect(parsed == made && parsed.hashValue == made.hashValue)
        #expect(Set([made, parsed]).count == 1)
    }

    @Test func textThatIsNotExactlyAnEngineIDStaysText() {
        for text in ["kst-007-stop-BTCUSDT", "kst-+7-stop-BTCUSDT", "kst-7-stoploss-BTCUSDT", "kst-7", "kst--1-entry-X",
                     "bench-12", "", "liquidation-BTCUSDT-1700000000"] {
            let id = ClientOrderID(text)
            #expect(id.rawValue == text)
            #expect(id.description == text)
        }
        // Different texts are different ids, even when their numbers read the same.
        #expect(ClientOrderID("kst-007-stop-X") != ClientOrderID(number: 7, role: .stop, symbol: "X"))
        #expect(ClientOrderID(number: 7, role: .stop, symbol: "X") != ClientOrderID(number: 7, role: .stop, symbol: "Y"))
        #expect(ClientOrderID(number: 7, role: .stop, symbol: "X") != ClientOrderID(number: 7, role: .exit, symbol: "X"))
        // A symbol that would not survive being written out and read back is held as text, so ids still equal
        // exactly when their texts do.
        let odd = ClientOrderID(number: 1, role: .stop, symbol: "\u{301}X")
        #expect(odd == ClientOrderID(odd.rawValue) && odd.hashValue == ClientOrderID(odd.rawValue).hashValue)
    }

    @Test func engineIDsSortInTheOrderTheyWereMadeThenOthersByText() {
        let ids = [ClientOrderID("zeta"), ClientOrderID(number: 10, role: .entry, symbol: "A"), ClientOrderID("alpha"),
                   ClientOrderID(number: 9, role: .target, symbol: "B")]
        #expect(ids.sorted().map(\.rawValue) == ["kst-9-target-B", "kst-10-entry-A", "alpha", "zeta"])
    }

    @Test func theSavedFormIsTheTextUnderRawValue() throws {
        let id = ClientOrderID(number: 3, role: .partial, symbol: "ETHUSDT")
        let data = try JSONEncoder().encode(id)
        #expect(String(decoding: data, as: UTF8.self) == #"{"rawValue":"kst-3-partial-ETHUSDT"}"#)
        #expect(try JSONDecoder().decode(ClientOrderID.self, from: data) == id)
        let other = try JSONDecoder().decode(ClientOrderID.self, from: Data(#"{"rawValue":"from-before"}"#.utf8))
        #expect(other == ClientOrderID("from-before"))
    }
}
