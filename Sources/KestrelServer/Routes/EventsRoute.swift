import Foundation
import Hummingbird
import KestrelCore
import KestrelRuntime

/// `GET /api/v1/events`: server-sent events, as they happen: `status` (at once, then every second), `fill`,
/// `opened`, `closed`, `stop_moved`, `scan`, `control` and `warning`, each `data` one JSON object. A comment line
/// every 15 s keeps proxies from closing a quiet stream. The stream ends when the bot stops; a browser's
/// EventSource then reconnects by itself.
struct EventsRoute: Sendable {
    let sources: APISources
    let reads: ReadRoutes

    func add(to router: Router<APIRequestContext>) {
        router.get("/api/v1/events") { _, _ in
            let events = sources.events()
            let body = ResponseBody { writer in
                let (frames, out) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(512))
                out.yield(Self.frame("status", reads.status()))
                let forwarding = Task {
                    for await event in events { out.yield(Self.frame(event)) }
                    out.finish()
                }
                let ticking = Task {
                    var seconds = 0
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        seconds += 1
                        out.yield(Self.frame("status", reads.status()))
                        if seconds % 15 == 0 { out.yield(ByteBuffer(string: ": keep-alive\n\n")) }
                    }
                }
                defer {
                    forwarding.cancel()
                    ticking.cancel()
                }
                // A client gone makes the write throw: the watching ends with it.
                for await frame in frames { try await writer.write(frame) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: body)
        }
    }

    static func frame(_ event: DeskEvent) -> ByteBuffer {
        switch event {
        case .fill(let fill):
            frame("fill", APIWire.Fill(symbol: fill.symbol, side: fill.side.rawValue, lots: fill.lots, price: fill.price,
                                       fee: fill.fee, orderId: fill.orderID.rawValue, tradeId: fill.tradeID.rawValue,
                                       time: fill.time.iso8601))
        case .opened(let symbol, let side, let lots, let price, let stop, let time):
            frame("opened", APIWire.Opened(symbol: symbol, side: side.rawValue, lots: lots, price: price, stop: stop,
                                           time: time.iso8601))
        case .closed(let trade):
            frame("closed", APIWire.Trade(trade))
        case .stopMoved(let symbol, let from, let to, let time):
            frame("stop_moved", APIWire.StopMoved(symbol: symbol, from: from, to: to, time: time.iso8601))
        case .scan(let sequence, let opportunities, let finished):
            frame("scan", APIWire.ScanEvent(sequence: sequence, opportunities: opportunities, finished: finished.iso8601))
        case .control(let action, let source, let message):
            frame("control", APIWire.ControlEvent(action: action, source: source, message: message))
        case .warning(let message):
            frame("warning", APIWire.Warning(message: message))
        }
    }

    static func frame(_ name: String, _ value: some Encodable) -> ByteBuffer {
        let json = String(decoding: JSONResponse.encode(value), as: UTF8.self)
        return ByteBuffer(string: "event: \(name)\ndata: \(json)\n\n")
    }
}

extension APIWire {
    struct Fill: Encodable {
        var symbol: String
        var side: String
        var lots: Int
        var price: Double
        var fee: Double
        var orderId: String
        var tradeId: String
        var time: String
    }

    struct Opened: Encodable {
        var symbol: String
        var side: String
        var lots: Int
        var price: Double
        var stop: Double
        var time: String
    }

    struct StopMoved: Encodable {
        var symbol: String
        var from: Double
        var to: Double
        var time: String
    }

    struct ScanEvent: Encodable {
        var sequence: Int
        var opportunities: Int
        var finished: String
    }

    struct ControlEvent: Encodable {
        var action: String
        var source: String
        var message: String
    }

    struct Warning: Encodable {
        var message: String
    }
}
