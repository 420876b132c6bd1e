import Hummingbird
import HummingbirdTesting
@testable import Server
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
}
