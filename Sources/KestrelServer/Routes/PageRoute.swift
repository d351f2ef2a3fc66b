import Crypto
import Foundation
import Hummingbird
import KestrelWeb

/// `GET /`: the dashboard, one self-contained page (styles and scripts inline, nothing fetched from elsewhere).
///
/// Its Content-Security-Policy lets the page run its own two scripts (by their SHA-256) and talk to this server
/// only; no other page may frame it, so its buttons cannot be clicked through a disguise.
struct PageRoute: Sendable {
    /// The page and its policy, or why it cannot be served (its files are missing).
    let page: Result<(html: ByteBuffer, policy: String), HTTPError>

    init() {
        do {
            let html = try WebAssets.dashboardPage()
            page = .success((ByteBuffer(string: html), Self.policy(for: html)))
        } catch {
            page = .failure(HTTPError(.internalServerError, message: "\(error)"))
        }
    }

    func add(to router: Router<APIRequestContext>) {
        router.get("/") { _, _ in
            switch page {
            case .success(let page):
                return Response(status: .ok, headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                    .contentSecurityPolicy: page.policy, .init("X-Frame-Options")!: "DENY",
                    .init("Referrer-Policy")!: "no-referrer", .init("X-Content-Type-Options")!: "nosniff",
                ], body: .init(byteBuffer: page.html))
            case .failure(let error):
                throw error
            }
        }
    }

    /// Scripts allowed by the hash of each inline `<script>`'s text, styles inline, requests to this origin only.
    static func policy(for html: String) -> String {
        let hashes = inlineScripts(in: html).map { script in
            "'sha256-\(Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString())'"
        }
        return "default-src 'none'; script-src \(hashes.joined(separator: " ")); style-src 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    }

    /// The text of each `<script>` element that has no attributes.
    static func inlineScripts(in html: String) -> [String] {
        var scripts = [String]()
        var rest = html[...]
        while let open = rest.range(of: "<script>"), let close = rest.range(of: "</script>", range: open.upperBound..<rest.endIndex) {
            scripts.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return scripts
    }
}
