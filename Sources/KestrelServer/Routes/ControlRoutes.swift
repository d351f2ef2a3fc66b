import Hummingbird
import KestrelCore

/// `POST /api/v1/...`: a person's commands, each behind the token, answered with what it did.
struct ControlRoutes: Sendable {
    let sources: APISources
    let gate: TokenGate

    func add(to router: Router<APIRequestContext>) {
        let api = router.group("/api/v1")
        api.post("pause") { request, context in try await run(.pauseEntries, request, context) }
        api.post("resume") { request, context in try await run(.resumeEntries, request, context) }
        api.post("close-all") { request, context in try await run(.closeAll, request, context) }
        api.post("orders/cancel-all") { request, context in try await run(.cancelOrders, request, context) }
        api.post("reload") { request, context in
            try gate.check(request)
            let outcome = await sources.reload(context.source)
            return JSONResponse.make(APIWire.Control(applied: outcome.applied, message: outcome.message))
        }
        api.post("positions/:symbol/close") { request, context in
            let symbol = context.parameters.get("symbol") ?? ""
            guard !symbol.isEmpty, symbol.count <= 40, symbol.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            else { throw HTTPError(.badRequest, message: "'\(symbol)' is not a symbol") }
            return try await run(.close(symbol: symbol.uppercased()), request, context)
        }
    }

    private func run(_ control: EngineControl, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        try gate.check(request)
        let outcome = await sources.control(control, context.source)
        // Nothing to close on a symbol without a position: the symbol was not found among them.
        let status: HTTPResponse.Status = if case .close = control, !outcome.applied { .notFound } else { .ok }
        return JSONResponse.make(APIWire.Control(applied: outcome.applied, message: outcome.message), status: status)
    }
}
