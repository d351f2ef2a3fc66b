import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Lets a control through only with `Authorization: Bearer <API_TOKEN>`.
///
/// - Without a token configured, controls are off (403): a bot reachable by anyone on the machine cannot be closed
///   out by anyone.
/// - The token is compared as SHA-256 digests, whose comparison takes the same time wherever they differ: the
///   answer's timing tells nothing of how much of a guess was right.
/// - After `allowedFailures` wrong tokens within a minute, every control is refused (429) until the minute has
///   passed since the oldest of them: guessing is slow.
final class TokenGate: Sendable {
    private let digest: SHA256.Digest?
    private let failures = Mutex<[ContinuousClock.Instant]>([])
    let allowedFailures = 5

    init(token: String?) {
        digest = token.flatMap { $0.isEmpty ? nil : SHA256.hash(data: Data($0.utf8)) }
    }

    var isConfigured: Bool { digest != nil }

    /// Throws the HTTP error that refuses `request`, or returns when its token is right.
    func check(_ request: Request) throws(HTTPError) {
        guard let digest else {
            throw HTTPError(.forbidden, message: "controls are off: set API_TOKEN to use them")
        }
        let now = ContinuousClock.now
        let recent = failures.withLock { failures in
            failures.removeAll { now - $0 > .seconds(60) }
            return failures.count
        }
        guard recent < allowedFailures else {
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: "60"],
                            message: "too many wrong tokens: controls are refused for a minute")
        }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let given = header.hasPrefix(prefix) ? String(header.dropFirst(prefix.count)) : ""
        guard !given.isEmpty, SHA256.hash(data: Data(given.utf8)) == digest else {
            failures.withLock { $0.append(now) }
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                            message: given.isEmpty ? "a control needs Authorization: Bearer <API_TOKEN>"
                                : "wrong token")
        }
    }
}
