import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// The fake's public WebSocket: bullets with tokens, `welcome`, ping and pong, subscriptions with their `ack`, and
/// pushes to the connections that subscribed to a topic; faults on demand: every connection dropped, connections
/// that fall silent without closing, tokens that expire.
extension FakeKuCoin {
    struct StreamState {
        var port = 0
        var issued = 0
        var validTokens: Set<String> = []
        /// The valid tokens given by `bullet-private`: only a connection made with one hears private topics.
        var privateTokens: Set<String> = []
        var nextConnection = 0
        var connections: [Int: Connection] = [:]
        /// Connections made so far, and subscriptions received.
        var opened = 0
        var subscriptions = 0
        /// Silent connections answer nothing and hear no pushes.
        var silent = false
        /// Milliseconds the bullet gives as the ping interval and timeout.
        var pingInterval = 18_000
        var pingTimeout = 10_000
    }

    struct Connection {
        var topics: Set<String> = []
        var control: AsyncStream<Control>.Continuation
        /// Made with a private token.
        var isPrivate = false
    }

    enum Control: Sendable {
        case send(String)
        case drop
    }

    /// What the WebSocket side has seen: connections opened, subscriptions received, connections open now.
    public var streamCounts: (opened: Int, subscriptions: Int, open: Int) {
        stream.withLock { ($0.opened, $0.subscriptions, $0.connections.count) }
    }

    /// The topics connection clients are subscribed to now, all connections together.
    public var subscribedTopics: Set<String> {
        stream.withLock { $0.connections.values.reduce(into: Set<String>()) { $0.formUnion($1.topics) } }
    }

    /// Sets the ping interval and timeout that the next bullets give, in milliseconds.
    public func setPing(interval: Int, timeout: Int) {
        stream.withLock {
            $0.pingInterval = interval
            $0.pingTimeout = timeout
        }
    }

    /// Closes every WebSocket connection now.
    public func dropConnections() {
        let controls = stream.withLock { $0.connections.values.map(\.control) }
        for control in controls {
            control.yield(.drop)
            control.finish()
        }
    }

    /// Connections stop answering and hearing pushes, without closing (`false` ends it for new pushes).
    public func setSilent(_ silent: Bool) { stream.withLock { $0.silent = silent } }

    /// Every token given so far stops being valid: a connection with one is refused (KuCoin's 401).
    public func expireTokens() {
        stream.withLock {
            $0.validTokens.removeAll()
            $0.privateTokens.removeAll()
        }
    }

    /// Sends `text` to every connection subscribed to `topic`; how many got it.
    @discardableResult
    public func push(topic: String, _ text: String) -> Int {
        let controls = stream.withLock { state in
            state.silent ? [] : state.connections.values.filter { $0.topics.contains(topic) }.map(\.control)
        }
        for control in controls { control.yield(.send(text)) }
        return controls.count
    }

    /// Pushes a candle of `symbol` for KuCoin's candle `type` ("1hour"): `[start_s, open, close, high, low, volume,
    /// turnover]`, as strings, as KuCoin sends it.
    @discardableResult
    public func pushCandle(_ symbol: String, type: String, _ row: FakeMarket.Row) -> Int {
        let topic = "/contractMarket/limitCandle:\(symbol)_\(type)"
        let candles = [Double(row.time / 1_000), row.open, row.close, row.high, row.low, row.volume,
                       row.volume * row.close].map { "\"\($0 == $0.rounded() && abs($0) < 1e15 ? "\(Int64($0))" : "\($0)")\"" }
            .joined(separator: ",")
        return push(topic: topic, """
            {"topic":"\(topic)","type":"message","data":{"symbol":"\(symbol)","candles":[\(candles)],\
            "time":\(nowMilliseconds)},"subject":"candle.stick"}
            """)
    }

    /// Pushes the best bid and ask of `symbol` (tickerV2).
    @discardableResult
    public func pushTicker(_ symbol: String, bid: Double, ask: Double) -> Int {
        let topic = "/contractMarket/tickerV2:\(symbol)"
        return push(topic: topic, """
            {"topic":"\(topic)","type":"message","subject":"tickerV2","sn":1,"data":{"symbol":"\(symbol)",\
            "sequence":1,"bestBidSize":713,"bestBidPrice":"\(bid)","bestAskPrice":"\(ask)","bestAskSize":1037,\
            "ts":\(nowMilliseconds * 1_000_000)}}
            """)
    }

    /// A bullet in the documentation's shape, its endpoint this fake's WebSocket; a private one's token opens a
    /// connection that may subscribe to private topics.
    func issueBullet(private isPrivate: Bool = false) -> String {
        stream.withLock { state in
            state.issued += 1
            let token = isPrivate ? "private-token-\(state.issued)" : "token-\(state.issued)"
            state.validTokens.insert(token)
            if isPrivate { state.privateTokens.insert(token) }
            return """
                {"instanceServers":[{"pingInterval":\(state.pingInterval),"endpoint":"ws://127.0.0.1:\(state.port)/endpoint",\
                "protocol":"websocket","encrypt":false,"pingTimeout":\(state.pingTimeout)}],"token":"\(token)"}
                """
        }
    }

    func webSocketServer() -> HTTPServerBuilder {
        .http1WebSocketUpgrade { request, _, _ in
            guard let path = request.path, path.hasPrefix("/endpoint") else { return .dontUpgrade }
            let query = URLComponents(string: path)?.queryItems ?? []
            let token = query.first { $0.name == "token" }?.value ?? ""
            let connectID = query.first { $0.name == "connectId" }?.value ?? ""
            return .upgrade([:]) { inbound, outbound, _ in
                try await self.serveConnection(token: token, connectID: connectID, inbound: inbound,
                                               outbound: outbound)
            }
        }
    }

    private func serveConnection(token: String, connectID: String, inbound: WebSocketInboundStream,
                                 outbound: WebSocketOutboundWriter) async throws {
        let (controls, control) = AsyncStream.makeStream(of: Control.self)
        let id: Int? = stream.withLock { state in
            guard state.validTokens.contains(token) else { return nil }
            state.nextConnection += 1
            state.opened += 1
            state.connections[state.nextConnection] = Connection(control: control,
                                                                 isPrivate: state.privateTokens.contains(token))
            return state.nextConnection
        }
        guard let id else {
            try await outbound.write(.text(
                "{\"id\":\"\(connectID)\",\"type\":\"error\",\"code\":401,\"data\":\"token is invalid\"}"))
            return
        }
        defer { _ = stream.withLock { $0.connections.removeValue(forKey: id) } }
        try await outbound.write(.text("{\"id\":\"\(connectID)\",\"type\":\"welcome\"}"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    try await self.answer(text, connection: id, outbound: outbound)
                }
            }
            group.addTask {
                for await order in controls {
                    switch order {
                    case .send(let text): try await outbound.write(.text(text))
                    case .drop:
                        // Closed from this side at once: the reader, still waiting for the client's next frame,
                        // ends when the client answers the close.
                        try? await outbound.close(.goingAway, reason: "dropped by the fake")
                        return
                    }
                }
            }
            // Whichever ends first (the client left, or the fake drops it) ends the connection.
            _ = try await group.next()
            group.cancelAll()
        }
    }

    private func answer(_ text: String, connection: Int, outbound: WebSocketOutboundWriter) async throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let type = object["type"] as? String else { return }
        let id = object["id"].map { "\($0)" } ?? ""
        if stream.withLock({ $0.silent }) { return }
        switch type {
        case "ping":
            try await outbound.write(.text(
                "{\"id\":\"\(id)\",\"type\":\"pong\",\"timestamp\":\(nowMilliseconds * 1_000)}"))
        case "subscribe", "unsubscribe":
            guard let topic = object["topic"] as? String, !topic.isEmpty else {
                try await outbound.write(.text("{\"id\":\"\(id)\",\"type\":\"error\",\"code\":404,\"data\":\"topic\"}"))
                return
            }
            // `/prefix:a,b` is one subscription per symbol; a topic without a colon (most private ones, such as
            // `/contractMarket/tradeOrders`) is a subscription to itself.
            let topics: [String]
            let prefix: Substring
            if let colon = topic.firstIndex(of: ":") {
                prefix = topic[..<colon]
                topics = topic[topic.index(after: colon)...].split(separator: ",").map { "\(prefix):\($0)" }
            } else {
                prefix = topic[...]
                topics = [topic]
            }
            if type == "subscribe", Self.privateTopics.contains(String(prefix)),
               stream.withLock({ $0.connections[connection]?.isPrivate != true }) {
                try await outbound.write(.text("{\"id\":\"\(id)\",\"type\":\"error\",\"code\":401,"
                    + "\"data\":\"private channel needs a private token\"}"))
                return
            }
            stream.withLock { state in
                if type == "subscribe" {
                    state.subscriptions += topics.count
                    state.connections[connection]?.topics.formUnion(topics)
                } else {
                    state.connections[connection]?.topics.subtract(topics)
                }
            }
            try await outbound.write(.text("{\"id\":\"\(id)\",\"type\":\"ack\"}"))
        default:
            break
        }
    }
}
