import Foundation

/// Where the API listens: `HOST:PORT` (`127.0.0.1:8420`, `[::1]:8420`, `0.0.0.0:8420`).
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    /// 0: a free port, chosen when the server starts (the log says which).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`; nil for `off`. Throws a message naming what is wrong.
    public static func parse(_ text: String) throws(HTTPAddressError) -> HTTPAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "off" { return nil }
        guard let colon = trimmed.lastIndex(of: ":"), let port = Int(trimmed[trimmed.index(after: colon)...]),
              (0...65_535).contains(port) else {
            throw HTTPAddressError(text: text, reason: "expected HOST:PORT (e.g. 127.0.0.1:8420) or off")
        }
        var host = String(trimmed[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw HTTPAddressError(text: text, reason: "no host before the port")
        }
        return HTTPAddress(host: host, port: port)
    }

    /// Whether only this machine can reach it.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct HTTPAddressError: Error, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "HTTP_ADDRESS '\(text)': \(reason)" }
}
