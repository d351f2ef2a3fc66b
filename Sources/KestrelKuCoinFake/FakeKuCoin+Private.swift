import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The fake's private endpoints: each request's signature, passphrase, key and timestamp checked as KuCoin checks
/// them, with KuCoin's error codes when one is wrong.
extension FakeKuCoin {
    func addPrivateRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v1/account-overview") { request, _ in
            if let refusal = self.refusal(of: request) { return refusal }
            guard request.uri.queryParameters.get("currency") == "USDT" else {
                // KuCoin answers for XBT when no currency is named: a USDT account must ask.
                return Self.failure(status: 200, code: "100001", message: "only USDT is held here")
            }
            return Self.success(self.account.overviewJSON)
        }
    }

    /// KuCoin's answer to a request whose authentication is wrong, or nil when it is right.
    func refusal(of request: Request, body: String = "") -> Response? {
        let headers = request.headers
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        guard let key = header("KC-API-KEY"), let signature = header("KC-API-SIGN"),
              let timestamp = header("KC-API-TIMESTAMP").flatMap(Int64.init),
              let passphrase = header("KC-API-PASSPHRASE") else {
            return Self.failure(status: 400, code: "400001", message: "Please check the header of your request")
        }
        let account = self.account.key
        guard abs(timestamp - nowMilliseconds) <= 5_000 else {
            return Self.failure(status: 400, code: "400002", message: "Invalid KC-API-TIMESTAMP")
        }
        guard key == account.key else {
            return Self.failure(status: 401, code: "400003", message: "KC-API-KEY not exists")
        }
        guard header("KC-API-KEY-VERSION") == "2", passphrase == Self.sign(account.passphrase, with: account.secret)
        else {
            return Self.failure(status: 401, code: "400004", message: "Invalid KC-API-PASSPHRASE")
        }
        // KuCoin signs the query as written, not percent-encoded.
        let query = request.uri.query.map { "?" + ($0.removingPercentEncoding ?? $0) } ?? ""
        let signed = "\(timestamp)\(request.method.rawValue)\(request.uri.path)\(query)\(body)"
        guard signature == Self.sign(signed, with: account.secret) else {
            return Self.failure(status: 401, code: "400005", message: "Signature verification failed")
        }
        return nil
    }

    static func sign(_ text: String, with secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        return Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).base64EncodedString()
    }
}
