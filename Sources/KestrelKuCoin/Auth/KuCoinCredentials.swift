/// An API key of KuCoin Futures (version 2 or 3: the passphrase is sent signed).
///
/// The secret and the passphrase never leave this type but as signatures: its description, and so any log line,
/// error or summary that prints it, names the key's first characters only, and a dump of it shows no secret.
public struct KuCoinCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let key: String
    let secret: String
    let passphrase: String
    public let version: String

    public init(key: String, secret: String, passphrase: String, version: String = "2") {
        self.key = key
        self.secret = secret
        self.passphrase = passphrase
        self.version = version
    }

    public var description: String { "KuCoin API key \(key.prefix(4))… (version \(version))" }
    public var debugDescription: String { description }
    /// What `dump` and a debugger show: the key, not the secrets.
    public var customMirror: Mirror { Mirror(self, children: ["key": key, "version": version]) }
}
