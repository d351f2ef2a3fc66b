import Foundation
import KestrelCore
import Logging
@testable import KestrelKuCoin
import Testing

/// Random and mutated answers fed to the decoders: each is read or refused, never a crash, and nothing read breaks
/// the rules of an instrument or a candle.
@Suite struct DecoderFuzzTests {
    static let contract = """
        {"code":"200000","data":[{"symbol":"XBTUSDTM","rootSymbol":"USDT","type":"FFWCSX","baseCurrency":"XBT",\
        "quoteCurrency":"USDT","settleCurrency":"USDT","lotSize":1,"tickSize":1.0,"multiplier":0.001,\
        "makerFeeRate":0.0002,"takerFeeRate":0.0006,"isInverse":false,"status":"Open","turnoverOf24h":2361994501.71,\
        "markPrice":44514.03,"lastTradePrice":44493.0,"maxLeverage":100}]}
        """
    static let klines = """
        {"code":"200000","data":[[1575331200000,7495.01,8309.67,7250,7463.55,0],[1575334800000,7464.37,8297.85,\
        7273.02,7491.44,12]]}
        """
    static let pieces = ["null", "\"\"", "\"1e400\"", "-1", "1e308", "[]", "{}", "\"NaN\"", "true", "0", "\"x\"",
                         "9999999999999999999999", "[[[[", "\"\\u0000\""]

    /// A mutation of `text`: bytes dropped, repeated, replaced, or a JSON value swapped for another.
    static func mutate(_ text: String, _ random: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(bytes[at], at: at)
            case 2: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 3: bytes.insert(contentsOf: pieces.randomElement(using: &random)!.utf8, at: at)
            default:
                // A number or a string token replaced by a piece.
                if let end = bytes[at...].firstIndex(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "]") }) {
                    bytes.replaceSubrange(at..<end, with: pieces.randomElement(using: &random)!.utf8)
                }
            }
        }
        return bytes
    }

    @Test func mutatedContractListsAreReadOrRefusedNeverCrash() {
        var random = SeededGenerator(seed: 17)
        var read = 0
        for _ in 0..<3_000 {
            let bytes = Self.mutate(Self.contract, &random)
            guard let envelope = try? JSONDecoder().decode(Envelope<[Lenient<ContractWire>]>.self, from: Data(bytes)),
                  let data = envelope.data else { continue }
            read += 1
            for instrument in KuCoinInstruments.listing(data).instruments {
                #expect(instrument.contractMultiplier > 0 && instrument.contractMultiplier.isFinite)
                #expect(instrument.tickSize > 0 && instrument.tickSize.isFinite)
                #expect(instrument.lotSize >= 1)
                #expect(instrument.maxLeverage >= 1)
            }
        }
        #expect(read > 100)
    }

    @Test func mutatedCandleAnswersAreReadOrRefusedNeverCrash() {
        var random = SeededGenerator(seed: 5)
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        var read = 0
        for _ in 0..<3_000 {
            let bytes = Self.mutate(Self.klines, &random)
            guard let envelope = try? JSONDecoder().decode(Envelope<[Lenient<KlineRowWire>]>.self, from: Data(bytes)),
                  let rows = envelope.data else { continue }
            read += 1
            let candles = KuCoinMarketData.checked(rows, symbol: "XBTUSDTM", timeframe: .oneHour,
                                                   from: Timestamp(seconds: 0),
                                                   closedBy: Timestamp(seconds: 1_575_400_000), logger: logger)
            for candle in candles {
                #expect(candle.high >= max(candle.open, candle.close) && candle.low <= min(candle.open, candle.close))
                #expect(candle.low > 0 && candle.volume >= 0 && candle.high.isFinite)
            }
        }
        #expect(read > 100)
    }

    static let candlePush = """
        {"type":"message","topic":"/contractMarket/limitCandle:XBTUSDTM_1hour","subject":"candle.stick",\
        "data":{"symbol":"XBTUSDTM","candles":["1575331200","7495.01","7463.55","8309.67","7250","120","891234.5"],\
        "time":1575331300123}}
        """
    static let tickerPush = """
        {"type":"message","topic":"/contractMarket/tickerV2:XBTUSDTM","subject":"tickerV2","sn":1,\
        "data":{"symbol":"XBTUSDTM","sequence":1,"bestBidSize":795,"bestBidPrice":"3200.0","bestAskPrice":"3600.0",\
        "bestAskSize":284,"ts":1553846081210004941}}
        """

    @Test func mutatedStreamFramesAreReadOrRefusedWithAReasonNeverCrash() {
        var random = SeededGenerator(seed: 23)
        var read = 0
        var refused = 0
        for index in 0..<4_000 {
            let bytes = Self.mutate(index.isMultiple(of: 2) ? Self.candlePush : Self.tickerPush, &random)
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                switch try KuCoinStreamFrame.parse(text) {
                case .candle(let symbol, _, _):
                    // Read as sent: the live market's rules (OHLC, time) judge the candle next.
                    read += 1
                    #expect(!symbol.isEmpty)
                case .ticker(let symbol, _, _, _):
                    read += 1
                    #expect(!symbol.isEmpty)
                default:
                    read += 1
                }
            } catch let unreadable as KuCoinStreamFrame.Unreadable {
                refused += 1
                #expect(unreadable.excerpt.utf8.count <= 400, "the log line quotes a bounded excerpt")
            } catch {
                Issue.record("a frame refused with an error that is not Unreadable: \(error)")
            }
        }
        #expect(read > 500)
        #expect(refused > 500)
    }

    @Test func aHugeFrameIsRefusedWithAShortExcerpt() {
        let huge = "{\"type\":\"message\",\"subject\":\"candle.stick\",\"topic\":\"/contractMarket/limitCandle:X_1hour\"," +
            "\"data\":{\"symbol\":\"" + String(repeating: "A", count: 2_000_000) + "\"}}"
        do {
            _ = try KuCoinStreamFrame.parse(huge)
            Issue.record("a candle push without candles was read")
        } catch let unreadable as KuCoinStreamFrame.Unreadable {
            #expect(unreadable.excerpt.utf8.count <= 400)
        } catch {
            Issue.record("refused with \(error)")
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
