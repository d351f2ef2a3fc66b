import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A fake of KuCoin Futures' REST API and WebSocket on 127.0.0.1, answering with the documentation's payloads, with
/// faults on demand: for the tests and benchmarks of the KuCoin adapter, never for trading. Public market data, and
/// a signed private half that trades (orders, stops, positions, fills, margin modes, private pushes) against prices
/// a test sets.
///
/// Every answer carries the `gw-ratelimit-*` headers of a pool with `quota` weight per `window` (the public pool,
/// or the private one for a signed endpoint); a request over the quota gets KuCoin's 429.
public final class FakeKuCoin: Sendable {
    /// A request the fake received.
    public struct Received: Sendable, Equatable {
        public var method: String
        public var path: String
        public var query: [String: String]
        /// When the fake's handler had it (the benchmark times orders to it).
        public var at: ContinuousClock.Instant
    }

    struct State {
        var market: FakeMarket
        var account = FakeAccount()
        /// Orders, positions, fills and prices (FakeKuCoin+Trading.swift).
        var trading = FakeTrading()
        var faults: [String: [FakeFault]] = [:]
        var received: [Received] = []
        /// The public endpoints' pool, and the private ones' (KuCoin meters those per key).
        var publicPool = FakeRatePool()
        var privatePool = FakeRatePool()
    }

    let state: Mutex<State>
    /// The WebSocket side: tokens, connections, their subscriptions (FakeKuCoin+WebSocket.swift).
    let stream = Mutex(StreamState())
    /// Where the server's tasks run.
    private let executor = FakeExecutor(name: "fake-kucoin")
    /// The fake's clock, in milliseconds since 1970.
    private let clock: @Sendable () -> Int64
    public let quota: Int
    public let windowMilliseconds: Int64
    /// When the fake was made: its rate windows count from here.
    private let started = ContinuousClock.now

    public init(market: FakeMarket, quota: Int = 2_000, windowMilliseconds: Int64 = 30_000,
                clock: (@Sendable () -> Int64)? = nil) {
        state = Mutex(State(market: market))
        self.clock = clock ?? { Int64(Date().timeIntervalSince1970 * 1_000) }
        self.quota = quota
        self.windowMilliseconds = windowMilliseconds
    }

    /// Queues `faults` for the next requests to `path`, in order.
    public func inject(_ faults: FakeFault..., on path: String) {
        state.withLock { $0.faults[path, default: []].append(contentsOf: faults) }
    }

    /// Every request so far, oldest first.
    public var received: [Received] { state.withLock { $0.received } }

    /// Changes what the fake lists and serves.
    /// The market as it stands.
    public var market: FakeMarket { state.withLock { $0.market } }

    public func updateMarket(_ change: @Sendable (inout FakeMarket) -> Void) { state.withLock { change(&$0.market) } }

    /// Runs `body` on the fake's own thread (`FakeExecutor`), not on the cooperative pool: for a test that must act
    /// at a given moment (drop a connection while a process streams) on a machine whose pool other tests keep busy.
    /// Nothing in `body` may block the thread.
    public func onItsThread<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) { try await body() }
    }

    /// Runs the fake on a free port of 127.0.0.1 while `body` runs, with the base URL to reach it. The server runs on
    /// a thread of its own (`FakeExecutor`).
    public func serve<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.add(middleware: FaultMiddleware(fake: self))
        addRoutes(to: router)
        var logger = Logger(label: "kestrel.fake-kucoin")
        logger.logLevel = .critical
        let app = Application(router: router, server: webSocketServer(),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: executor) { try await app.run() }
            // Stopped when `body` is done, however it ends.
            defer { group.cancelAll() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next(), port > 0 else { throw FakeServerError.notStarted }
            stream.withLock { $0.port = port }
            defer { dropConnections() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    // MARK: Answers

    func record(_ request: Request) {
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                               uniquingKeysWith: { _, last in last })
        state.withLock {
            $0.received.append(Received(method: request.method.rawValue, path: request.uri.path, query: query,
                                           at: .now))
        }
    }

    func nextFault(for path: String) -> FakeFault? {
        state.withLock { state in
            guard var queue = state.faults[path], !queue.isEmpty else { return nil }
            let fault = queue.removeFirst()
            state.faults[path] = queue
            return fault
        }
    }

    /// Spends `weight` of the window's quota of the private pool or the public one; the headers to send (the
    /// pool's), and whether the quota was exceeded.
    func spend(_ weight: Int, private isPrivate: Bool = false) -> (headers: HTTPFields, exceeded: Bool) {
        // Windows of real time, as KuCoin's, whatever time the market's clock says.
        let elapsed = (ContinuousClock.now - started).components
        let now = elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000
        let (remaining, reset, exceeded) = state.withLock { state in
            isPrivate ? state.privatePool.spend(weight, now: now, quota: quota, window: windowMilliseconds)
                : state.publicPool.spend(weight, now: now, quota: quota, window: windowMilliseconds)
        }
        return (Self.rateHeaders(limit: quota, remaining: remaining, reset: reset), exceeded)
    }

    static func rateHeaders(limit: Int, remaining: Int, reset: Int64) -> HTTPFields {
        var headers = HTTPFields()
        headers[HTTPField.Name("gw-ratelimit-limit")!] = "\(limit)"
        headers[HTTPField.Name("gw-ratelimit-remaining")!] = "\(max(0, remaining))"
        headers[HTTPField.Name("gw-ratelimit-reset")!] = "\(max(0, reset))"
        return headers
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func success(_ data: String) -> Response {
        json("{\"code\":\"200000\",\"data\":\(data)}")
    }

    static func failure(status: Int, code: String, message: String) -> Response {
        json("{\"code\":\"\(code)\",\"msg\":\"\(message)\"}", status: .init(code: status))
    }

    /// Each endpoint's weight in the public pool (KuCoin's specs, docs/kucoin.md); the private endpoints' weights are
    /// in `privateWeight(method:path:)`.
    static let weights: [String: Int] = ["/api/v1/timestamp": 2, "/api/v1/contracts/active": 3,
                                         "/api/v1/kline/query": 3, "/api/v1/bullet-public": 10]

    /// The account the private endpoints answer for, changed by a test.
    public func updateAccount(_ change: @Sendable (inout FakeAccount) -> Void) {
        state.withLock { change(&$0.account) }
    }

    public var account: FakeAccount { state.withLock { $0.account } }

    /// The fake's clock now, in milliseconds.
    public var nowMilliseconds: Int64 { clock() }

    private func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/bullet-public") { _, _ in
            Self.success(self.issueBullet())
        }
        router.get("/api/v1/timestamp") { _, _ in
            Self.success("\(self.clock())")
        }
        addPrivateRoutes(to: router)
        addOrderRoutes(to: router)
        addPositionRoutes(to: router)
        addPrivateStreamRoutes(to: router)
        router.get("/api/v1/contracts/active") { _, _ in
            let contracts = self.state.withLock { $0.market.contracts.map(\.json) }
            return Self.success("[\(contracts.joined(separator: ","))]")
        }
        router.get("/api/v1/kline/query") { request, _ in
            let parameters = request.uri.queryParameters
            guard let symbol = parameters.get("symbol"), let granularity = parameters.get("granularity", as: Int64.self)
            else {
                return Self.failure(status: 400, code: "100001", message: "symbol and granularity are required")
            }
            guard [1, 5, 15, 30, 60, 120, 240, 480, 720, 1_440, 10_080].contains(granularity) else {
                return Self.failure(status: 200, code: "100001", message: "granularity invalid")
            }
            let now = self.clock()
            let to = parameters.get("to", as: Int64.self) ?? now
            let from = parameters.get("from", as: Int64.self) ?? (to - granularity * 60_000 * 200)
            let rows: [FakeMarket.Row]? = self.state.withLock { state in
                guard state.market.candles[symbol] != nil else { return nil }
                return state.market.rows(symbol, minutes: granularity, from: from, to: to, now: now, limit: 200)
            }
            guard let rows else {
                return Self.failure(status: 200, code: "200003", message: "contract does not exist")
            }
            let body = rows.map { "[\($0.time),\($0.open),\($0.high),\($0.low),\($0.close),\($0.volume)]" }
            return Self.success("[\(body.joined(separator: ","))]")
        }
    }
}

/// Counts each request against its pool's quota (private endpoints have their own pool) and adds the pool's
/// rate-limit headers to its answer; plays the queued fault of its path, if any: before the route answers, or after it
/// has acted (`afterActing`, `stallAfterActing`).
struct FaultMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let fake: FakeKuCoin

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response {
        fake.record(request)
        let fault = fake.nextFault(for: request.uri.path)
        if case .rateLimited(let reset) = fault {
            var response = FakeKuCoin.failure(status: 429, code: "429000", message: "Too Many Requests")
            response.headers.append(contentsOf: FakeKuCoin.rateHeaders(limit: fake.quota, remaining: 0,
                                                                       reset: Int64(reset)))
            return response
        }
        let privateWeight = FakeKuCoin.privateWeight(method: request.method, path: request.uri.path)
        let (headers, exceeded) = fake.spend(privateWeight ?? FakeKuCoin.weights[request.uri.path] ?? 1,
                                             private: privateWeight != nil)
        var response: Response
        if exceeded {
            response = FakeKuCoin.failure(status: 429, code: "429000", message: "Too Many Requests")
        } else {
            switch fault {
            case .error(let status, let code, let message)?:
                response = FakeKuCoin.failure(status: status, code: code, message: message)
            case .stall(let milliseconds)?:
                try await Task.sleep(for: .milliseconds(milliseconds))
                response = try await next(request, context)
            case .body(let text)?:
                response = FakeKuCoin.json(text)
            case .afterActing(let status, let code, let message)?:
                // The route acts (an order is placed), and its answer is lost: the client sees only the error.
                _ = try await next(request, context)
                response = FakeKuCoin.failure(status: status, code: code, message: message)
            case .stallAfterActing(let milliseconds)?:
                response = try await next(request, context)
                try await Task.sleep(for: .milliseconds(milliseconds))
            case .rateLimited?, nil:
                response = try await next(request, context)
            }
        }
        response.headers.append(contentsOf: headers)
        return response
    }
}

public enum FakeServerError: Error {
    case notStarted
}
