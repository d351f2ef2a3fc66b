import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends requests to KuCoin Futures' REST API and reads its `{"code", "data"}` envelope.
///
/// Every request first takes its weight from the rate limiter's pool, at its priority; every answer's rate-limit
/// headers correct the pool. A code other than `200000` is an error even with HTTP 200. Reads that fail for a
/// passing reason (5xx, 429, timeout, a dropped connection) are sent again with a growing, jittered pause; nothing
/// else is, since an order sent twice could be placed twice.
public final class KuCoinRESTClient: Sendable {
    public static let defaultBaseURL = "https://api-futures.kucoin.com"

    public struct Configuration: Sendable {
        /// Scheme, host and port, without a path: `KUCOIN_API_URL` or `--api-url`.
        public var baseURL: String
        /// How long one request may take, connection included.
        public var requestTimeout: Duration = .seconds(10)
        /// How long connecting may take.
        public var connectTimeout: Duration = .seconds(5)
        /// How many times a read is tried in all.
        public var readAttempts = 4
        /// The pause before the first retry; each next one doubles.
        public var firstBackoff: Duration = .milliseconds(250)
        /// The largest answer read; a bigger one is an error, not an allocation.
        public var largestBody = 16 << 20

        public init(baseURL: String = KuCoinRESTClient.defaultBaseURL) { self.baseURL = baseURL }
    }

    /// What the client has sent so far.
    public struct Tally: Sendable, Equatable {
        /// Requests sent, by endpoint ("GET /api/v1/kline/query"), retries included.
        public var byEndpoint: [String: Int] = [:]
        /// Answers that were 429s.
        public var rateLimited = 0
        /// Reads sent again after a passing failure.
        public var retries = 0
        /// Answers by endpoint and HTTP status ("200", "429"; "none" when no answer came).
        public var answers: [Answer: Int] = [:]
        /// The weight left in each pool's window ("futures", "public"), as the latest answer's
        /// `gw-ratelimit-remaining` header said.
        public var rateLimitRemaining: [String: Int] = [:]

        public struct Answer: Sendable, Hashable {
            public var endpoint: String
            public var status: String
        }

        public var total: Int { byEndpoint.values.reduce(0, +) }

        public init() {}
    }

    public let configuration: Configuration
    public let limiter: KuCoinRateLimiter
    private let baseURL: String
    private let http: HTTPClient
    private let logger: Logger
    private let tally = Mutex(Tally())

    public init(configuration: Configuration = Configuration(), limiter: KuCoinRateLimiter = KuCoinRateLimiter(),
                logger: Logger = Logger(label: "kestrel.kucoin.rest")) throws {
        baseURL = try Self.validated(configuration.baseURL)
        self.configuration = configuration
        self.limiter = limiter
        self.logger = logger
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds))
        // A refused connection fails at once and is retried here, with the backoff of every other passing failure:
        // left to the pool, it would be tried again and again until the request's deadline.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Closes the connections. Call once, when done.
    public func shutdown() async throws { try await http.shutdown() }

    /// Runs `body` with this client, then shuts it down, whether `body` returned or threw (an error of the
    /// shutdown itself is thrown only after a `body` that returned).
    public func using<T>(_ body: (KuCoinRESTClient) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await shutdown()
            throw error
        }
        try await shutdown()
        return result
    }

    /// What has been sent so far.
    public var requests: Tally { tally.withLock { $0 } }

    /// Sends a request and decodes the envelope's `data` as `T`.
    ///
    /// - Parameters:
    ///   - pathValues: the values of the path's `{name}` parts (`/api/v1/orders/client-order/{clientOid}`).
    ///   - body: a POST's JSON body (`{}` when nil).
    ///   - signer: signs a private request; a private endpoint without one is refused here, as KuCoin would.
    public func send<T: Decodable & Sendable>(_ endpoint: KuCoinEndpoint, query: [(String, String)] = [],
                                              pathValues: [String: String] = [:], body: String? = nil,
                                              signedBy signer: KuCoinRequestSigner? = nil,
                                              priority: RequestPriority = .marketData,
                                              as type: T.Type = T.self) async throws -> T {
        var attempt = 1
        var backoff = configuration.firstBackoff
        let request = Request(endpoint: endpoint, path: endpoint.path(with: pathValues), query: query,
                              body: body ?? (endpoint.method == "POST" ? "{}" : ""), signer: signer)
        while true {
            do {
                return try await sendOnce(request, priority: priority, as: type)
            } catch let error as KuCoinError where endpoint.isIdempotent && error.isTransient
                && attempt < configuration.readAttempts {
                attempt += 1
                tally.withLock { $0.retries += 1 }
                // A 429 already closed the pool until its reset: the limiter holds the next try until then.
                let pause = error.isRateLimit ? .zero : backoff * Double.random(in: 0.5...1.5)
                logger.debug("retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                if pause > .zero { try await Task.sleep(for: pause) }
                backoff *= 2
            }
        }
    }

    /// One request as it goes out (and again, when a read is retried).
    private struct Request: Sendable {
        var endpoint: KuCoinEndpoint
        /// The path with its `{name}` parts filled in.
        var path: String
        var query: [(String, String)]
        var body: String
        var signer: KuCoinRequestSigner?
    }

    private func sendOnce<T: Decodable & Sendable>(_ outgoing: Request, priority: RequestPriority,
                                                   as type: T.Type) async throws -> T {
        let endpoint = outgoing.endpoint
        let name = endpoint.description
        if endpoint.pool == .futures, outgoing.signer == nil {
            throw KuCoinError.api(endpoint: name, status: 0, code: KuCoinErrorCode.headersMissing,
                                  message: "a private endpoint, and no API key to sign it with")
        }
        try await limiter.acquire(endpoint.weight, from: endpoint.pool, priority: priority)
        var request = HTTPClientRequest(url: baseURL + outgoing.path + Self.queryString(outgoing.query))
        request.method = HTTPMethod(rawValue: endpoint.method)
        request.headers.add(name: "Accept", value: "application/json")
        if endpoint.method == "POST" {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: outgoing.body))
        }
        if let signer = outgoing.signer {
            // Signed as sent, but with the query not percent-encoded (docs/kucoin.md, "Signing"); at the moment it
            // leaves, so that a wait for the rate limiter never ages the timestamp.
            let query = outgoing.query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            for header in signer.headers(method: endpoint.method, path: outgoing.path, query: query,
                                         body: outgoing.body) {
                request.headers.add(name: header.name, value: header.value)
            }
        }
        tally.withLock { $0.byEndpoint[name, default: 0] += 1 }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds),
                                              logger: logger)
            body = try await response.body.collect(upTo: configuration.largestBody)
        } catch {
            tally.withLock { $0.answers[Tally.Answer(endpoint: name, status: "none"), default: 0] += 1 }
            await limiter.finished(endpoint.weight, from: endpoint.pool)
            throw Self.transportError(error, endpoint: name, largestBody: configuration.largestBody)
        }
        let remaining = await takeRateHeaders(response.headers, weight: endpoint.weight, pool: endpoint.pool)
        let status = Int(response.status.code)
        tally.withLock { tally in
            tally.answers[Tally.Answer(endpoint: name, status: String(status)), default: 0] += 1
            if let remaining { tally.rateLimitRemaining[endpoint.pool.rawValue] = remaining }
        }
        if status == 429 {
            let retryAfter = Self.resetIn(response.headers) ?? .seconds(1)
            tally.withLock { $0.rateLimited += 1 }
            await limiter.close(endpoint.pool, for: retryAfter)
            throw KuCoinError.rateLimited(endpoint: name, retryAfter: retryAfter)
        }
        let envelope: Envelope<T>
        do {
            envelope = try JSONDecoder().decode(Envelope<T>.self, from: Data(body.readableBytesView))
        } catch {
            if status >= 500 { throw KuCoinError.unavailable(endpoint: name, status: status) }
            throw KuCoinError.malformed(endpoint: name, status: status,
                                        reason: DecodingProblem.describe(error, body: body.readableBytesView))
        }
        guard envelope.code == KuCoinErrorCode.success else {
            if envelope.code == KuCoinErrorCode.tooManyRequests {
                let retryAfter = Self.resetIn(response.headers) ?? .seconds(1)
                tally.withLock { $0.rateLimited += 1 }
                await limiter.close(endpoint.pool, for: retryAfter)
                throw KuCoinError.rateLimited(endpoint: name, retryAfter: retryAfter)
            }
            if status >= 500, envelope.code == KuCoinErrorCode.internalError {
                throw KuCoinError.unavailable(endpoint: name, status: status)
            }
            throw KuCoinError.api(endpoint: name, status: status, code: envelope.code, message: envelope.message ?? "")
        }
        guard let data = envelope.data else {
            // `"data": null` is an answer where an optional is asked for (an order lookup that found nothing).
            if let absent = (T.self as? any AbsentAnswer.Type)?.absent as? T { return absent }
            throw KuCoinError.malformed(endpoint: name, status: status, reason: "no data in a successful answer")
        }
        return data
    }

    /// Tells the rate limiter what the answer's headers say; returns the weight they say is left, if they say.
    private func takeRateHeaders(_ headers: HTTPHeaders, weight: Int, pool: KuCoinEndpoint.Pool) async -> Int? {
        let remaining = headers.first(name: "gw-ratelimit-remaining").flatMap { Int($0) }
        await limiter.finished(weight, from: pool, limit: headers.first(name: "gw-ratelimit-limit").flatMap { Int($0) },
                               remaining: remaining, resetIn: Self.resetIn(headers))
        return remaining
    }

    /// A failure before an answer, as the error it means.
    private static func transportError(_ error: any Error, endpoint name: String, largestBody: Int) -> any Error {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return KuCoinError.timedOut(endpoint: name)
            default:
                return KuCoinError.transport(endpoint: name, reason: "\(error)")
            }
        case is NIOTooManyBytesError:
            return KuCoinError.malformed(endpoint: name, status: 0, reason: "an answer over \(largestBody) bytes")
        case is CancellationError:
            return CancellationError()
        default:
            return KuCoinError.transport(endpoint: name, reason: "\(error)")
        }
    }

    /// `gw-ratelimit-reset`: milliseconds until the window resets.
    private static func resetIn(_ headers: HTTPHeaders) -> Duration? {
        headers.first(name: "gw-ratelimit-reset").flatMap { Int64($0) }.map { .milliseconds(max(0, $0)) }
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return "?" + query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    /// The base URL without a trailing slash, or an error that names the setting.
    static func validated(_ url: String) throws -> String {
        var trimmed = url.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", parsed.host?.isEmpty == false,
              parsed.path.isEmpty || parsed.path == "/" else {
            throw KuCoinConfigurationError(
                setting: "KUCOIN_API_URL", value: url,
                reason: "must be http:// or https:// with a host and no path, e.g. \(defaultBaseURL)")
        }
        return trimmed
    }
}

/// A setting of the KuCoin adapter that cannot be used.
public struct KuCoinConfigurationError: Error, Sendable, CustomStringConvertible {
    public var setting: String
    public var value: String
    public var reason: String

    public var description: String { "\(setting)=\(value): \(reason)" }
}

/// KuCoin's answer around its data: `{"code": "200000", "data": ...}` or `{"code": "...", "msg": "..."}`.
struct Envelope<T: Decodable>: Decodable {
    var code: String
    var message: String?
    var data: T?

    private enum CodingKeys: String, CodingKey {
        case code, msg, data
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // The code is a string in the documentation; a number is taken too.
        if let text = try? container.decode(String.self, forKey: .code) {
            code = text
        } else {
            code = String(try container.decode(Int.self, forKey: .code))
        }
        message = try? container.decodeIfPresent(String.self, forKey: .msg)
        // Only a success's data is read: an error's may be anything.
        data = code == KuCoinErrorCode.success ? try container.decodeIfPresent(T.self, forKey: .data) : nil
    }
}

/// A type whose value stands for `"data": null`: an optional, asked for where KuCoin answers null for "none".
protocol AbsentAnswer {
    static var absent: Self { get }
}

extension Optional: AbsentAnswer {
    static var absent: Self { nil }
}

extension KuCoinError {
    var isRateLimit: Bool {
        if case .rateLimited = self { return true }
        return false
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
