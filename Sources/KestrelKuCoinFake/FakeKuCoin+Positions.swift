import Foundation
import Hummingbird
import NIOCore

/// The fake's position, fill and margin-mode endpoints (docs/kucoin-private.md §6, §8, §10), each signed.
extension FakeKuCoin {
    func addPositionRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v1/positions") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            // Only USDT contracts are held here: another settlement currency has no positions.
            let currency = request.uri.queryParameters.get("currency") ?? "USDT"
            let now = self.nowMilliseconds
            let positions = currency != "USDT" ? [] : self.state.withLock { state in
                state.trading.positions.values.filter { $0.quantity != 0 }
                    .sorted { $0.symbol < $1.symbol }
                    .map { position in
                        position.json(markPrice: state.trading.price(of: position.symbol, in: state.market)
                                          ?? position.entryPrice,
                                      multiplier: state.trading.multiplier(of: position.symbol, in: state.market),
                                      now: now)
                    }
            }
            return Self.success("[\(positions.joined(separator: ","))]")
        }
        router.get("/api/v1/recentFills") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            let symbol = request.uri.queryParameters.get("symbol")
            let fills = self.state.withLock { state in
                let newest = state.trading.fills.reversed().filter { symbol == nil || $0.symbol == symbol }
                return newest.prefix(1_000).map {
                    $0.json(multiplier: state.trading.multiplier(of: $0.symbol, in: state.market))
                }
            }
            return Self.success("[\(fills.joined(separator: ","))]")
        }
        router.get("/api/v2/position/getMarginMode") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            guard let symbol = request.uri.queryParameters.get("symbol"), !symbol.isEmpty else {
                return Self.failure(status: 200, code: "100001", message: "symbol is required")
            }
            let mode: String? = self.state.withLock { state in
                state.market.contracts.contains { $0.symbol == symbol } ? state.trading.marginMode(of: symbol) : nil
            }
            guard let mode else { return Self.failure(status: 200, code: "200003", message: "contract does not exist") }
            return Self.success(Self.marginModeJSON(symbol: symbol, mode: mode))
        }
        router.post("/api/v2/position/changeMarginMode") { request, _ in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            if let refusal = self.refusal(of: request, body: body) { return refusal }
            return self.answer { () throws(FakeRefusal) in
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                      let symbol = object["symbol"] as? String, let mode = object["marginMode"] as? String else {
                    throw .invalid("symbol and marginMode are required")
                }
                try self.trade { trading, context, _ throws(FakeRefusal) in
                    try trading.changeMarginMode(of: symbol, to: mode, context)
                    return ((), [])
                }
                return Self.marginModeJSON(symbol: symbol, mode: mode)
            }
        }
    }

    /// `{"symbol":…,"marginMode":…}`, the answer of both margin-mode endpoints.
    private static func marginModeJSON(symbol: String, mode: String) -> String {
        "{\"symbol\":\(FakeWire.string(symbol)),\"marginMode\":\(FakeWire.string(mode))}"
    }
}
