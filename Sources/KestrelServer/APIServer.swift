public import Logging
public import ServiceLifecycle
import Hummingbird
import NIOCore

/// The bot's HTTP server: the dashboard at `/`, the API under `/api/v1`, `/metrics`, `/healthz` and `/readyz`
/// (docs/api.md). A service of
/// `kestrel run`: it starts with the bot and, listed first, stops last.
///
/// A port that cannot be had (in use, not allowed) does not stop the bot: trading matters more than its window. The
/// error is logged, and the service waits for the shutdown.
public struct APIServer: Service, CustomStringConvertible {
    public let address: HTTPAddress
    private let sources: APISources
    private let gate: TokenGate
    private let logger: Logger
    /// Told the address it listens on (its port chosen when `address.port` is 0).
    private let onListening: @Sendable (HTTPAddress) -> Void

    public init(address: HTTPAddress, token: String?, sources: APISources, logger: Logger,
                onListening: @escaping @Sendable (HTTPAddress) -> Void = { _ in }) {
        self.address = address
        self.sources = sources
        gate = TokenGate(token: token)
        self.logger = logger
        self.onListening = onListening
    }

    public var description: String { "APIServer(\(address))" }

    public func run() async throws {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: JSONErrorMiddleware(logger: logger))
        let reads = ReadRoutes(sources: sources, started: .now)
        reads.add(to: router)
        EventsRoute(sources: sources, reads: reads).add(to: router)
        ControlRoutes(sources: sources, gate: gate).add(to: router)
        MetricsRoute(sources: sources).add(to: router)
        CandlesRoute(sources: sources).add(to: router)
        PageRoute().add(to: router)
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let requested = address
        let logger = self.logger
        let gate = self.gate
        let onListening = self.onListening
        let app = Application(
            router: router, configuration: .init(address: .hostname(address.host, port: address.port),
                                                 serverName: "Kestrel"),
            onServerRunning: { channel in
                let bound = HTTPAddress(host: requested.host, port: channel.localAddress?.port ?? requested.port)
                logger.notice("🌐 API on http://\(bound)/api/v1 (controls \(gate.isConfigured ? "need API_TOKEN" : "off: no API_TOKEN"))")
                onListening(bound)
            }, logger: serverLogger)
        let sources = self.sources
        do {
            // The event streams never end by themselves: ended first, so the server can stop.
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: {
                sources.endStreams()
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("🌐 The API could not listen on \(address): \(error). The bot goes on without it.")
            try? await gracefulShutdown()
        }
    }
}
