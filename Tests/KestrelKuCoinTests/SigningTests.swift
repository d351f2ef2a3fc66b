import KestrelKuCoin
import Testing

/// Private requests are signed as KuCoin checks them; the secret and passphrase never show.
@Suite struct SigningTests {
    static let secret = "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3"
    static let credentials = KuCoinCredentials(key: "5c2db93503aa674c74a31734", secret: secret,
                                               passphrase: "my-passphrase")

    /// KuCoin's manuals print this secret and signature; the futures manual pairs them with a string they do not
    /// sign. They sign the spot manual's string, which is what the signing rule gives for that request.
    @Test func theManualsWorkedExampleIsReproduced() {
        let prehash = KuCoinSigner.prehash(timestamp: 1_547_015_186_532, method: "post",
                                           path: "/api/v1/deposit-addresses", query: "", body: #"{"currency":"BTC"}"#)
        #expect(prehash == #"1547015186532POST/api/v1/deposit-addresses{"currency":"BTC"}"#)
        #expect(KuCoinSigner.signature(of: prehash, secret: Self.secret) == "7QP/oM0ykidMdrfNEUmng8eZjg/ZvPafjIqmxiVfYu4=")
    }

    @Test func aGetSignsItsQueryUnencodedAndNoBody() {
        let signer = KuCoinSigner(credentials: Self.credentials)
        let headers = Dictionary(uniqueKeysWithValues: signer.headers(
            timestamp: 1_547_015_186_532, method: "GET", path: "/api/v1/orders/byClientOid",
            query: "clientOid=kst-1-XBTUSDTM-1", body: "").map { ($0.name, $0.value) })
        // Worked out independently (Python's hmac) from the same secret and string.
        #expect(headers["KC-API-SIGN"] == "N1TN+P4xJJhVTi0uhOkECaCjG/olqvvAIndjAyueWU8=")
        #expect(headers["KC-API-PASSPHRASE"] == "sVNmif2caUE5SCRJCgYlwsc6lQaT8d/P6TZ8yPqSYoU=")
        #expect(headers["KC-API-TIMESTAMP"] == "1547015186532")
        #expect(headers["KC-API-KEY"] == "5c2db93503aa674c74a31734")
        #expect(headers["KC-API-KEY-VERSION"] == "2")
        // The query as written, not percent-encoded.
        #expect(KuCoinSigner.prehash(timestamp: 1, method: "GET", path: "/p", query: "a=b c&d=é", body: "")
            == "1GET/p?a=b c&d=é")
    }

    @Test func theSecretAndPassphraseNeverShow() {
        var dumped = ""
        dump(KuCoinSigner(credentials: Self.credentials), to: &dumped)
        let texts = ["\(Self.credentials)", String(reflecting: Self.credentials), dumped,
                     "\(KuCoinSigner(credentials: Self.credentials).credentials)"]
        for text in texts {
            #expect(!text.contains(Self.secret) && !text.contains("my-passphrase"), "\(text)")
            #expect(text.contains("5c2d"))
        }
    }
}
