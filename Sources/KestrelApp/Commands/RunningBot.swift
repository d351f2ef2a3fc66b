import ArgumentParser
import AsyncHTTPClient
import Foundation
import KestrelServer
import NIOCore

/// The API of a bot running on a journal, for the commands that read it (`kestrel status`): what the running bot
/// holds now, rather than what it last saved.
struct RunningBot {
    let base: String
    private let client: HTTPClient

    /// The bot answering at `address` whose journal is `journal`, or nil: nothing answers within a second, or what
    /// answers writes another journal.
    static func find(at address: HTTPAddress, journal: String) async -> RunningBot? {
        let host = address.host == "0.0.0.0" || address.host == "::" ? "127.0.0.1" : address.host
        let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(address.port)"
        let bot = RunningBot(base: base, client: HTTPClient(eventLoopGroupProvider: .singleton))
        guard let status = try? await bot.object("/api/v1/status"),
              let theirs = status["journal"] as? String, Self.samePath(theirs, journal) else {
            await bot.close()
            return nil
        }
        return bot
    }

    /// The bot running on `journal` at the address `--api` gives (else `$HTTP_ADDRESS`, else the default), or nil:
    /// `off`, or no bot of that journal answers.
    static func find(api: String?, journal: String) async throws -> RunningBot? {
        let text = api ?? ProcessInfo.processInfo.environment["HTTP_ADDRESS"] ?? "127.0.0.1:8420"
        let address: HTTPAddress?
        do {
            address = try HTTPAddress.parse(text)
        } catch {
            throw ValidationError("--api: \(error)")
        }
        guard let address else { return nil }
        return await find(at: address, journal: journal)
    }

    static func samePath(_ one: String, _ other: String) -> Bool {
        URL(fileURLWithPath: one).resolvingSymlinksInPath().standardizedFileURL.path
            == URL(fileURLWithPath: other).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// The JSON object at `path`.
    func object(_ path: String) async throws -> [String: Any] {
        guard let object = try await json(path) as? [String: Any] else { throw RunningBotError(path: path, reason: "JSON that is not an object") }
        return object
    }

    /// The JSON array at `path`.
    func array(_ path: String) async throws -> [[String: Any]] {
        guard let array = try await json(path) as? [[String: Any]] else { throw RunningBotError(path: path, reason: "JSON that is not a list") }
        return array
    }

    private func json(_ path: String) async throws -> Any {
        let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(1))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw RunningBotError(path: path, reason: "HTTP \(response.status.code)") }
        return try JSONSerialization.jsonObject(with: Data(buffer: body))
    }

    func close() async { try? await client.shutdown() }
}

struct RunningBotError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "the running bot's API answered \(path) with \(reason)" }
}
