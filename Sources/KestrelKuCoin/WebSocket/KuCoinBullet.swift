import Foundation

/// What `POST /api/v1/bullet-public` answers: a token and the servers to connect to with it. Tokens expire (about a
/// day): every connection asks for a new one.
public struct KuCoinBullet: Sendable, Equatable, Decodable {
    public struct Server: Sendable, Equatable, Decodable {
        public var endpoint: String
        /// Milliseconds between the client's pings.
        public var pingInterval: Int
        /// Milliseconds within which a pong is due.
        public var pingTimeout: Int
    }

    public var token: String
    public var instanceServers: [Server]

    /// The address to connect to: the first server's endpoint with the token and a connection id.
    func address(connectID: String) throws -> (url: String, server: Server) {
        guard let server = instanceServers.first, !token.isEmpty,
              let components = URLComponents(string: server.endpoint),
              ["ws", "wss"].contains(components.scheme?.lowercased() ?? "") else {
            throw KuCoinError.malformed(endpoint: "\(KuCoinEndpoint.publicBullet)", status: 200,
                                        reason: "no ws:// or wss:// server, or no token, in the bullet")
        }
        var withQuery = components
        withQuery.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "token", value: token),
                                                                URLQueryItem(name: "connectId", value: connectID)]
        guard let url = withQuery.string else {
            throw KuCoinError.malformed(endpoint: "\(KuCoinEndpoint.publicBullet)", status: 200,
                                        reason: "the server's endpoint is not an address")
        }
        return (url, server)
    }
}
