import Hummingbird
import NIOCore

/// The fake's order endpoints (docs/kucoin-private.md §1-5): place, read and cancel by clientOid or by orderId, and
/// list orders and untriggered stops. Each is signed; a POST's signature covers its body exactly as sent.
extension FakeKuCoin {
    func addOrderRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/orders") { request, _ in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            if let refusal = self.refusal(of: request, body: body) { return refusal }
            return self.answer { () throws(FakeRefusal) in
                let order = try FakeOrderRequest(json: body)
                let placed = try self.trade { trading, context, account throws(FakeRefusal) in
                    try trading.place(order, context, account: &account)
                }
                return "{\"orderId\":\(FakeWire.string(placed.orderId)),"
                    + "\"clientOid\":\(FakeWire.string(placed.clientOid))}"
            }
        }
        router.get("/api/v1/orders/byClientOid") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            guard let clientOid = request.uri.queryParameters.get("clientOid"), !clientOid.isEmpty else {
                return Self.failure(status: 200, code: "100001", message: "clientOid is required")
            }
            // KuCoin's answer for an unknown clientOid is not documented; `data: null` is one of the two seen.
            let order = self.state.withLock { state in
                state.trading.orders[clientOid].map {
                    $0.json(multiplier: state.trading.multiplier(of: $0.symbol, in: state.market))
                }
            }
            return Self.success(order ?? "null")
        }
        router.get("/api/v1/orders/:orderId") { request, context in
            if let refusal = self.refusal(of: request) { return refusal }
            let orderId = context.parameters.get("orderId") ?? ""
            let order = self.state.withLock { state in
                state.trading.order(id: orderId).map {
                    $0.json(multiplier: state.trading.multiplier(of: $0.symbol, in: state.market))
                }
            }
            // The body several bots have captured for an unknown id.
            guard let order else {
                return Self.failure(status: 200, code: "100001", message: "error.getOrder.orderNotExist")
            }
            return Self.success(order)
        }
        router.delete("/api/v1/orders/:orderId") { request, context in
            if let refusal = self.refusal(of: request) { return refusal }
            let orderId = context.parameters.get("orderId") ?? ""
            return self.answer { () throws(FakeRefusal) in
                try self.trade { trading, context, account throws(FakeRefusal) in
                    guard let order = trading.order(id: orderId) else {
                        throw FakeRefusal(code: "100004", message: "The order cannot be canceled.")
                    }
                    return ((), try trading.cancel(order.clientOid, symbol: order.symbol, context, account: &account))
                }
                return "{\"cancelledOrderIds\":[\(FakeWire.string(orderId))]}"
            }
        }
        router.delete("/api/v1/orders/client-order/:clientOid") { request, context in
            if let refusal = self.refusal(of: request) { return refusal }
            let clientOid = context.parameters.get("clientOid") ?? ""
            guard let symbol = request.uri.queryParameters.get("symbol"), !symbol.isEmpty else {
                return Self.failure(status: 200, code: "100001", message: "symbol is required")
            }
            return self.answer { () throws(FakeRefusal) in
                try self.trade { trading, context, account throws(FakeRefusal) in
                    ((), try trading.cancel(clientOid, symbol: symbol, context, account: &account))
                }
                return "{\"clientOid\":\(FakeWire.string(clientOid))}"
            }
        }
        router.get("/api/v1/orders") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            let parameters = request.uri.queryParameters
            let status = parameters.get("status") ?? "done"
            guard ["active", "done"].contains(status) else {
                return Self.failure(status: 200, code: "100001", message: "status must be active or done")
            }
            // Untriggered stops are listed by /api/v1/stopOrders, not here.
            let items = self.orders(request) { order in
                status == "active" ? order.isActive && !order.isUntriggeredStop : !order.isActive
            }
            return Self.success(FakeWire.page(items, currentPage: parameters.get("currentPage", as: Int.self),
                                              pageSize: parameters.get("pageSize", as: Int.self)))
        }
        router.get("/api/v1/stopOrders") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            let parameters = request.uri.queryParameters
            let items = self.orders(request) { $0.isActive && $0.isUntriggeredStop }
            return Self.success(FakeWire.page(items, currentPage: parameters.get("currentPage", as: Int.self),
                                              pageSize: parameters.get("pageSize", as: Int.self)))
        }
    }

    /// The orders `include` takes that also match the request's `symbol`, `side` and `type` filters (`limit`,
    /// `market`, `limit_stop`, `market_stop`), newest first, in §2's shape.
    private func orders(_ request: Request, include: (FakeOrder) -> Bool) -> [String] {
        let parameters = request.uri.queryParameters
        let symbol = parameters.get("symbol"), side = parameters.get("side"), type = parameters.get("type")
        return state.withLock { state in
            state.trading.orders.values
                .filter { order in
                    include(order) && (symbol == nil || order.symbol == symbol) && (side == nil || order.side == side)
                        && (type == nil || type == (order.stop == nil ? order.type : "\(order.type)_stop"))
                }
                .sorted { FakeOrder.isOlder($1, $0) }
                .map { $0.json(multiplier: state.trading.multiplier(of: $0.symbol, in: state.market)) }
        }
    }

    /// `{"code":"200000","data":…}` with what `body` renders, or KuCoin's error body (HTTP 200, as KuCoin sends its
    /// business errors) when it refuses.
    func answer(_ body: () throws(FakeRefusal) -> String) -> Response {
        do throws(FakeRefusal) {
            return Self.success(try body())
        } catch {
            return Self.failure(status: 200, code: error.code, message: error.message)
        }
    }
}
