import Foundation
public import KestrelCore

/// A frame KuCoin's WebSocket sends, read into what Kestrel needs of it.
///
/// Candle pushes carry `[start_s, open, close, high, low, volume, turnover]` as strings (note: open, close, high, low);
/// tickerV2 pushes carry the best bid and ask. A frame Kestrel does not use is `.other`; one that cannot be read
/// throws, naming what was wrong.
public enum KuCoinStreamFrame: Sendable, Equatable {
    case welcome(id: String)
    case pong(id: String)
    case ack(id: String)
    /// KuCoin refused something: 401 token invalid, 404 topic, 509 limits, ...
    case error(id: String?, code: String, message: String)
    /// A candle as it stands: the forming one until its period has ended.
    case candle(symbol: String, timeframe: Timeframe, candle: Candle)
    /// The best bid and ask, at a time in nanoseconds.
    case ticker(symbol: String, bid: Double, ask: Double, nanoseconds: Int64)
    /// Private pushes: an order's step, a stop's, a position's change, the wallet's balance.
    case orderChange(KuCoinOrderUpdate)
    case stopOrder(KuCoinStopOrderUpdate)
    case position(KuCoinPositionUpdate)
    case wallet(walletBalance: Double)
    case other(type: String, topic: String?, subject: String?)

    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var excerpt: String
        public var description: String { "unreadable WebSocket frame (\(reason)): \(excerpt)" }
    }

    /// Reads one text frame.
    public static func parse(_ text: String) throws -> KuCoinStreamFrame {
        let bytes = Data(text.utf8)
        let decoder = JSONDecoder()
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: bytes)
        } catch {
            throw unreadable(error, text)
        }
        switch header.type {
        case "welcome": return .welcome(id: header.id ?? "")
        case "pong": return .pong(id: header.id ?? "")
        case "ack": return .ack(id: header.id ?? "")
        case "error": return .error(id: header.id, code: header.code ?? "?", message: header.message ?? "")
        case "message":
            do {
                switch header.subject {
                case "candle.stick":
                    let push = try decoder.decode(Push<CandleData>.self, from: bytes).data
                    guard let topic = header.topic, let type = topic.split(separator: "_").last,
                          let timeframe = KuCoinCandleType.timeframe(String(type)) else {
                        throw Unreadable(reason: "candle topic \(header.topic ?? "missing") names no known type",
                                         excerpt: DecodingProblem.excerpt(Array(text.utf8)))
                    }
                    return .candle(symbol: push.symbol, timeframe: timeframe, candle: try push.candle(text))
                case "tickerV2":
                    let push = try decoder.decode(Push<TickerData>.self, from: bytes).data
                    return .ticker(symbol: push.symbol, bid: push.bestBidPrice, ask: push.bestAskPrice,
                                   nanoseconds: push.ts)
                case "orderChange", "symbolOrderChange":
                    return .orderChange(try decoder.decode(Push<OrderChangeWire>.self, from: bytes).data.update)
                case "stopOrder":
                    return .stopOrder(try decoder.decode(Push<StopOrderWire>.self, from: bytes).data.update)
                case "position.change":
                    let topicSymbol = header.topic?.split(separator: ":").dropFirst().first.map(String.init)
                    guard let update = try decoder.decode(Push<PositionWire>.self, from: bytes).data
                        .update(topicSymbol: topicSymbol) else {
                        throw Unreadable(reason: "a position change without a symbol",
                                         excerpt: DecodingProblem.excerpt(Array(text.utf8)))
                    }
                    return .position(update)
                case "walletBalance.change":
                    guard let balance = try decoder.decode(Push<WalletChangeWire>.self, from: bytes).data.walletBalance
                    else {
                        throw Unreadable(reason: "a wallet change without walletBalance",
                                         excerpt: DecodingProblem.excerpt(Array(text.utf8)))
                    }
                    return .wallet(walletBalance: balance)
                default:
                    return .other(type: header.type, topic: header.topic, subject: header.subject)
                }
            } catch let error as Unreadable {
                throw error
            } catch {
                throw unreadable(error, text)
            }
        default:
            return .other(type: header.type, topic: header.topic, subject: header.subject)
        }
    }

    private static func unreadable(_ error: any Error, _ text: String) -> Unreadable {
        Unreadable(reason: DecodingProblem.describe(error, body: Array(text.utf8)),
                   excerpt: DecodingProblem.excerpt(Array(text.utf8)))
    }

    private struct Header: Decodable {
        var id: String?
        var type: String
        var topic: String?
        var subject: String?
        var code: String?
        var message: String?

        private enum CodingKeys: String, CodingKey {
            case id, type, topic, subject, code, data
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.lenientString(forKey: .id)
            type = try container.decode(String.self, forKey: .type)
            topic = try container.lenientString(forKey: .topic)
            subject = try container.lenientString(forKey: .subject)
            code = try container.lenientString(forKey: .code)
            // An error's reason is in `data`, as text.
            message = type == "error" ? try? container.lenientString(forKey: .data) : nil
        }
    }

    private struct Push<Data: Decodable>: Decodable {
        var data: Data
    }

    private struct CandleData: Decodable {
        var symbol: String
        var candles: [String]

        func candle(_ text: String) throws -> Candle {
            let numbers = candles.map { Double($0) }
            guard numbers.count >= 6, numbers.prefix(6).allSatisfy({ $0 != nil }) else {
                throw Unreadable(reason: "candles is not [start, open, close, high, low, volume, ...] as numbers",
                                 excerpt: DecodingProblem.excerpt(Array(text.utf8)))
            }
            let values = numbers.map { $0 ?? 0 }
            guard values[0].isFinite, values[0] >= 0, values[0] < 1e11 else {
                throw Unreadable(reason: "candle start \(values[0]) is not a time in seconds",
                                 excerpt: DecodingProblem.excerpt(Array(text.utf8)))
            }
            return Candle(time: Timestamp(seconds: Int64(values[0])), open: values[1], high: values[3],
                          low: values[4], close: values[2], volume: values[5])
        }
    }

    private struct TickerData: Decodable {
        var symbol: String
        var bestBidPrice: Double
        var bestAskPrice: Double
        var ts: Int64

        private enum CodingKeys: String, CodingKey {
            case symbol, bestBidPrice, bestAskPrice, ts
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            symbol = try container.decode(String.self, forKey: .symbol)
            guard let bid = try container.lenientDouble(forKey: .bestBidPrice),
                  let ask = try container.lenientDouble(forKey: .bestAskPrice) else {
                throw DecodingError.keyNotFound(CodingKeys.bestBidPrice, .init(codingPath: container.codingPath,
                                                                               debugDescription: "no best bid or ask"))
            }
            bestBidPrice = bid
            bestAskPrice = ask
            // Nanoseconds since 1970 fit an Int64 until 2262; a value beyond is refused, not trapped on.
            let nanoseconds = try container.lenientDouble(forKey: .ts) ?? 0
            guard nanoseconds.isFinite, nanoseconds >= 0, nanoseconds < 9.2e18 else {
                throw DecodingError.dataCorruptedError(forKey: .ts, in: container,
                                                       debugDescription: "\(nanoseconds) is not a time in nanoseconds")
            }
            ts = Int64(nanoseconds)
        }
    }
}

/// KuCoin's names of candle periods in topics: `1min` ... `1week`.
public enum KuCoinCandleType {
    static let names: [(String, Int64)] = [
        ("1min", 60), ("3min", 180), ("5min", 300), ("15min", 900), ("30min", 1_800), ("1hour", 3_600),
        ("2hour", 7_200), ("4hour", 14_400), ("8hour", 28_800), ("12hour", 43_200), ("1day", 86_400),
        ("1week", 604_800),
    ]

    public static func name(_ timeframe: Timeframe) -> String? {
        names.first { $0.1 == timeframe.seconds }?.0
    }

    public static func timeframe(_ name: String) -> Timeframe? {
        names.first { $0.0 == name }.map { Timeframe(seconds: $0.1) }
    }
}
