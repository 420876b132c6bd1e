import ChartWardenCore
import Hummingbird
import HummingbirdTesting
@testable import Server
import Storage
import Testing

/// A 5xx never carries what failed inside: an `HTTPError` thrown with a body (by Hummingbird or a
/// handler) is answered with the generic message too, while a 4xx keeps its reason.
@Suite struct ErrorMiddlewareTests {
    @Test func a5xxHTTPErrorBodyIsReplacedByTheGenericMessage() async throws {
        let router = Router(context: ChartWardenRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/boom") { _, _ -> String in
            throw HTTPError(.internalServerError, message: "cannot open /var/lib/chartwarden/blobs/ab/cd")
        }
        router.get("/bad") { _, _ -> String in throw HTTPError(.badRequest, message: "the reason") }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                #expect(!body.contains("/var/lib") && !body.contains("blobs"), "\(body)")
                #expect(body.contains("request id"))
            }
            try await client.execute(uri: "/bad", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("the reason"))
            }
        }
    }

    /// A store call that found the database unreachable: 503 with `Retry-After`, a JSON error
    /// naming the request id, and nothing of the cause (its host, its SQL state).
    @Test func anUnreachableDatabaseIsA503WithRetryAfterAndNoDetails() async throws {
        let router = Router(context: ChartWardenRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.post("/upload") { _, _ -> String in
            let cause = StorageError(.unavailable, "cannot connect to PostgreSQL at postgresql://cw@10.0.0.7:5432/charts")
            throw ServiceError(.internalError, "could not store x: \(cause)", cause: cause)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await client.execute(uri: "/upload", method: .post) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == String(ServiceError.storageRetryAfterSeconds))
                let body = String(buffer: response.body)
                #expect(body.contains("\"error\"") && body.contains("request id"), "\(body)")
                #expect(!body.contains("10.0.0.7") && !body.contains("PostgreSQL"), "\(body)")
            }
        }
    }
}
