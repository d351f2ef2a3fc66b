import Hummingbird
import KestrelCore

/// `GET /api/v1/candles?symbol=&timeframe=&limit=`: a symbol's candles closed by now, for a chart, with Kestrel's
/// entries and exits on it (its newest closed trades) and the open position's entry and live stop.
struct CandlesRoute: Sendable {
    let sources: APISources

    func add(to router: Router<APIRequestContext>) {
        router.get("/api/v1/candles") { request, _ in
            let query = request.uri.queryParameters
            guard let symbol = query.get("symbol"), !symbol.isEmpty else {
                throw HTTPError(.badRequest, message: "symbol is required, e.g. ?symbol=XBTUSDTM&timeframe=1h")
            }
            let timeframeText = query.get("timeframe") ?? "1h"
            guard let timeframe = Timeframe(timeframeText) else {
                throw HTTPError(.badRequest, message: "timeframe '\(timeframeText)': expected 30m, 1h, 4h, 1d …")
            }
            let limit = try ReadRoutes.integer(query.get("limit"), name: "limit", in: 1...1_000) ?? 200
            guard let market = sources.market else {
                throw HTTPError(.notFound, message: "this run has no market data to chart")
            }
            let now = sources.now()
            let candles: [Candle]
            do {
                candles = try await market.candles(symbol: symbol, timeframe: timeframe, limit: limit, closedBy: now)
            } catch let unknown as UnknownSymbol {
                throw HTTPError(.notFound, message: "\(unknown)")
            } catch {
                throw HTTPError(.serviceUnavailable, message: "the market data could not be read: \(error)")
            }
            let status = sources.status()
            let from = candles.first?.time ?? now
            var marks = [APIWire.ChartMark]()
            for trade in status.recentTrades where trade.symbol == symbol && trade.closedAt >= from {
                if trade.openedAt >= from {
                    marks.append(.init(kind: "entry", time: trade.openedAt.iso8601, price: trade.entryPrice,
                                       side: trade.side.rawValue, reason: nil, pnl: nil))
                }
                marks.append(.init(kind: "exit", time: trade.closedAt.iso8601, price: trade.exitPrice,
                                   side: trade.side.rawValue, reason: trade.reason.rawValue, pnl: trade.pnl))
            }
            let position = status.positions.first { $0.symbol == symbol }
            if let position {
                marks.append(.init(kind: "entry", time: position.openedAt.iso8601, price: position.entryPrice,
                                   side: position.side.rawValue, reason: nil, pnl: nil))
            }
            return JSONResponse.make(APIWire.Chart(
                symbol: symbol, timeframe: timeframe.description,
                candles: candles.map { .init(time: $0.time.iso8601, open: $0.open, high: $0.high, low: $0.low,
                                             close: $0.close, volume: $0.volume) },
                marks: marks, stop: position?.stopPrice))
        }
    }
}

extension APIWire {
    struct ChartCandle: Encodable {
        var time: String
        var open: Double
        var high: Double
        var low: Double
        var close: Double
        var volume: Double
    }

    /// An entry or an exit of Kestrel's on the chart.
    struct ChartMark: Encodable {
        var kind: String
        var time: String
        var price: Double
        var side: String
        var reason: String?
        /// An exit's net PnL.
        var pnl: Double?
    }

    struct Chart: Encodable {
        var symbol: String
        var timeframe: String
        var candles: [ChartCandle]
        var marks: [ChartMark]
        /// The open position's stop trigger, if one is open.
        var stop: Double?
    }
}
