import Crypto
import Foundation

/// Signs private requests as KuCoin asks (docs/kucoin.md, "Signing"):
///
/// - `KC-API-SIGN`: base64 of HMAC-SHA256, keyed by the secret, of the timestamp (ms), the method in capitals, the
///   path with its query as sent but *not* percent-encoded, and the body (empty for GET and DELETE);
/// - `KC-API-PASSPHRASE`: base64 of HMAC-SHA256 of the passphrase, keyed by the secret (key versions 2 and 3);
/// - `KC-API-TIMESTAMP`, which must be within 5 s of the server's clock (`KuCoinServerClock`).
public struct KuCoinSigner: Sendable, CustomReflectable {
    public let credentials: KuCoinCredentials
    private let key: SymmetricKey
    /// Signed once: it does not change from one request to the next.
    private let signedPassphrase: String

    public init(credentials: KuCoinCredentials) {
        self.credentials = credentials
        key = SymmetricKey(data: Data(credentials.secret.utf8))
        signedPassphrase = Self.sign(credentials.passphrase, with: key)
    }

    /// What `dump` and a debugger show: the key's name, never the secret's bytes or the signed passphrase (which
    /// KuCoin takes as the passphrase itself).
    public var customMirror: Mirror { Mirror(self, children: ["credentials": credentials]) }

    /// The text a request's signature covers. `query` is the unencoded `name=value&...` (no `?`), empty for none.
    public static func prehash(timestamp: Int64, method: String, path: String, query: String, body: String) -> String {
        "\(timestamp)\(method.uppercased())\(path)\(query.isEmpty ? "" : "?" + query)\(body)"
    }

    /// The authentication headers of one request.
    public func headers(timestamp: Int64, method: String, path: String, query: String, body: String)
        -> [(name: String, value: String)] {
        let signature = Self.sign(Self.prehash(timestamp: timestamp, method: method, path: path, query: query,
                                               body: body), with: key)
        return [
            ("KC-API-KEY", credentials.key),
            ("KC-API-SIGN", signature),
            ("KC-API-TIMESTAMP", String(timestamp)),
            ("KC-API-PASSPHRASE", signedPassphrase),
            ("KC-API-KEY-VERSION", credentials.version),
        ]
    }

    /// base64(HMAC-SHA256(secret, text)).
    public static func signature(of text: String, secret: String) -> String {
        sign(text, with: SymmetricKey(data: Data(secret.utf8)))
    }

    private static func sign(_ text: String, with key: SymmetricKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).base64EncodedString()
    }
}

/// Signs each private request at the server's time: the signer, and KuCoin's clock as this machine knows it.
public struct KuCoinRequestSigner: Sendable {
    public let signer: KuCoinSigner
    /// The server's time now, in milliseconds (`KuCoinServerClock.nowMilliseconds`).
    public let serverMilliseconds: @Sendable () -> Int64

    public init(signer: KuCoinSigner, serverMilliseconds: @escaping @Sendable () -> Int64) {
        self.signer = signer
        self.serverMilliseconds = serverMilliseconds
    }

    func headers(method: String, path: String, query: String, body: String) -> [(name: String, value: String)] {
        signer.headers(timestamp: serverMilliseconds(), method: method, path: path, query: query, body: body)
    }
}
