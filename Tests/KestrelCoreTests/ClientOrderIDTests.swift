import Foundation
import Testing
@testable import KestrelCore

@Suite struct ClientOrderIDTests {
    let run = RunID(startedAt: Timestamp(parsing: "2026-12-07T03:00:00Z")!, entropy: 77)

    @Test func anEngineIDIsItsTextAndEqualsThatTextParsed() {
        let made = ClientOrderID(run: run, number: 42, role: .stop, symbol: "BTC-USDT")
        #expect(made.rawValue == "kst-\(run.text)-42-s-BTC-USDT")
        let parsed = ClientOrderID(made.rawValue)
        #expect(parsed == made && parsed.hashValue == made.hashValue)
        #expect(Set([made, parsed]).count == 1)
        #expect(parsed.runAndNumber?.run == run && parsed.runAndNumber?.number == 42)
        #expect(made.isKestrels && ClientOrderID("kst-whatever").isKestrels && !ClientOrderID("manual-1").isKestrels)
    }

    @Test func aRunIDIsEightCharactersThatReadBack() throws {
        #expect(run.text.count == 8)
        #expect(RunID(run.text) == run)
        // Runs started a second apart never share an id; the entropy tells apart runs of the same second.
        let t = Timestamp(parsing: "2030-01-01T00:00:00Z")!
        #expect(RunID(startedAt: t, entropy: 3) != RunID(startedAt: t + 1, entropy: 3))
        #expect(RunID(startedAt: t, entropy: 3) != RunID(startedAt: t, entropy: 4))
        for text in ["", "1234567", "123456789", "ABCDEFGH", "abcd-fgh"] { #expect(RunID(text) == nil) }
        let data = try JSONEncoder().encode([run])
        #expect(try JSONDecoder().decode([RunID].self, from: data) == [run])
    }

    @Test func idsFitWhatExchangesTakeWhateverTheSymbol() {
        // At most 40 characters of [A-Za-z0-9_-], the number and role kept whole.
        for symbol in ["XBTUSDTM", "1000000MOGUSDTM", "A-VERY-LONG-SYMBOL-NAME-THAT-GOES-ON-AND-ON", "BTC/USDT:USDT",
                       "\u{301}X", "É"] {
            for number in [1, 987_654, Int(Int32.max)] {
                let id = ClientOrderID(run: run, number: number, role: .partial, symbol: symbol)
                #expect(id.rawValue.utf8.count <= 40, "\(id)")
                #expect(id.rawValue.utf8.allSatisfy { $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter
                    || Character(UnicodeScalar($0)).isNumber || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")) })
                #expect(id.rawValue.hasPrefix("kst-\(run.text)-\(number)-p-"))
                // Still exact: the text read back is the same id.
                #expect(ClientOrderID(id.rawValue) == id)
            }
        }
        #expect(ClientOrderID(run: run, number: 1, role: .entry, symbol: "BTC/USDT").rawValue.hasSuffix("-e-BTC_USDT"))
    }

    @Test func textThatIsNotExactlyAnEngineIDStaysText() {
        let r = run.text
        for text in ["kst-\(r)-007-s-BTCUSDT", "kst-\(r)-+7-s-BTCUSDT", "kst-\(r)-7-stop-BTCUSDT", "kst-\(r)-7",
                     "kst-\(r)--1-e-X", "kst-7-stop-BTCUSDT", "kst-ABCDEFGH-7-s-X", "bench-12", "",
                     "liquidation-BTCUSDT-1700000000", "kst-\(r)-7-s-BTC/USDT"] {
            let id = ClientOrderID(text)
            #expect(id.rawValue == text)
            #expect(id.description == text)
            #expect(id.runAndNumber == nil, "\(text)")
        }
        // Different texts are different ids, even when their numbers read the same.
        #expect(ClientOrderID("kst-\(r)-007-s-X") != ClientOrderID(run: run, number: 7, role: .stop, symbol: "X"))
        #expect(ClientOrderID(run: run, number: 7, role: .stop, symbol: "X")
            != ClientOrderID(run: run, number: 7, role: .stop, symbol: "Y"))
        #expect(ClientOrderID(run: run, number: 7, role: .stop, symbol: "X")
            != ClientOrderID(run: run, number: 7, role: .exit, symbol: "X"))
        #expect(ClientOrderID(run: run, number: 7, role: .stop, symbol: "X")
            != ClientOrderID(run: RunID(value: run.value + 1), number: 7, role: .stop, symbol: "X"))
    }

    @Test func engineIDsSortByRunInTheOrderTheyWereMadeThenOthersByText() {
        let later = RunID(value: run.value + 1)
        let ids = [ClientOrderID("zeta"), ClientOrderID(run: run, number: 10, role: .entry, symbol: "A"),
                   ClientOrderID("alpha"), ClientOrderID(run: later, number: 1, role: .entry, symbol: "C"),
                   ClientOrderID(run: run, number: 9, role: .target, symbol: "B")]
        #expect(ids.sorted().map(\.rawValue) == ["kst-\(run.text)-9-t-B", "kst-\(run.text)-10-e-A",
                                                 "kst-\(later.text)-1-e-C", "alpha", "zeta"])
    }

    @Test func theSavedFormIsTheTextUnderRawValue() throws {
        let id = ClientOrderID(run: run, number: 3, role: .partial, symbol: "ETHUSDT")
        let data = try JSONEncoder().encode(id)
        #expect(String(decoding: data, as: UTF8.self) == #"{"rawValue":"kst-\#(run.text)-3-p-ETHUSDT"}"#)
        #expect(try JSONDecoder().decode(ClientOrderID.self, from: data) == id)
        let other = try JSONDecoder().decode(ClientOrderID.self, from: Data(#"{"rawValue":"kst-3-partial-X"}"#.utf8))
        #expect(other == ClientOrderID("kst-3-partial-X"))
    }
}
