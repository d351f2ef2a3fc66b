import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Every failure answered as JSON (`{"error": {"status", "message"}}`) with its 4xx or 5xx status: unknown routes,
/// bad parameters, oversized bodies, refused tokens. An error that is not an HTTP one is a 500 whose message names
/// nothing internal; it is logged.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > context.maxUploadSize {
            return JSONResponse.failure(.contentTooLarge, "the body is larger than \(context.maxUploadSize) bytes")
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such route: \(request.method) \(request.uri.path)"
                : error.status.reasonPhrase)
            var response = JSONResponse.failure(error.status, message)
            response.headers.append(contentsOf: error.headers)
            return response
        } catch {
            logger.error("🌐 \(request.method) \(request.uri.path) failed: \(error)")
            return JSONResponse.failure(.internalServerError, "the request failed; the bot's log says why")
        }
    }
}

/// JSON answers, snake_case keys.
enum JSONResponse {
    /// `value` as the API writes JSON: snake_case keys, sorted.
    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)) ?? Data(#"{"error":{"status":500,"message":"unencodable"}}"#.utf8)
    }

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8",
                                                  .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ status: HTTPResponse.Status, _ message: String) -> Response {
        make(APIWire.Failure(error: .init(status: status.code, message: message)), status: status)
    }
}
