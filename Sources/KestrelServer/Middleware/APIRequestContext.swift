import Hummingbird
import NIOCore

/// A request's context: Hummingbird's, with the address it came from (controls are logged and journaled with it).
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// No request of this API has a body of any size: a larger one is refused unread.
    var maxUploadSize: Int { 16 * 1_024 }

    /// "api 127.0.0.1", for the log and the journal.
    var source: String { "api \(remoteAddress?.ipAddress ?? "unknown address")" }
}
