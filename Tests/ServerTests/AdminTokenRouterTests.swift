import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Server
import Testing

/// `/api/admin/tokens` and tokens presented on other routes, through the real router and core.
@Suite("API token routes")
struct AdminTokenRouterTests {
    static let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer " + token] }

    static func basic(_ token: String) -> HTTPFields {
        [.authorization: "Basic " + Data("token:\(token)".utf8).base64EncodedString()]
    }

    /// Creates a token as admin and returns its text.
    static func create(_ client: some TestClientProtocol, name: String = "ci", repositories: [String], actions: [String])
        async throws -> (token: String, id: String) {
        try await client.execute(uri: "/api/admin/tokens", method: .post, headers: RouterHarness.headers("admin"),
                                 body: json(["name": name, "repositories": repositories, "actions": actions,
                                             "expiresAt": expiry])) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            return (try #require(object["token"] as? String), try #require(object["id"] as? String))
        }
    }

    @Test func scopedTokensPushWhereTheirScopeAndGrantsAllow() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let app = Application(router: harness.router)
        try await app.test(.router) { client in
            let writer = try await Self.create(client, repositories: ["team"], actions: ["write"])
            let reader = try await Self.create(client, repositories: ["team", "public"], actions: ["read"])
            let chart = try RouterHarness.chart("redis-lite-0.8.1.tgz")
            try await client.execute(uri: "/api/team/charts", method: .post, headers: Self.bearer(writer.token), body: chart) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
            }
            // Out of its scope (token:ci may write in public): 403 for a repository it can read, 404 otherwise.
            try await client.execute(uri: "/api/public/charts", method: .post, headers: Self.bearer(writer.token), body: chart) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/signed/charts", method: .post, headers: Self.bearer(writer.token), body: chart) {
                #expect($0.status == .notFound)
            }
            // A read-scoped token never pushes, though token:ci holds write in team.
            try await client.execute(uri: "/api/team/charts", method: .post, headers: Self.basic(reader.token),
                                     body: try RouterHarness.chart("redis-lite-0.8.2.tgz")) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/team/index.yaml", method: .get, headers: Self.basic(reader.token)) {
                #expect($0.status == .ok)
            }
            // A token never administers.
            try await client.execute(uri: "/api/admin/tokens", method: .get, headers: Self.bearer(writer.token)) {
                #expect($0.status == .forbidden)
            }
            // Revoked: 401 on the next request.
            try await client.execute(uri: "/api/admin/tokens/\(writer.id)", method: .delete, headers: RouterHarness.headers("admin")) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("\"status\":\"revoked\""))
            }
            try await client.execute(uri: "/api/team/charts", method: .post, headers: Self.bearer(writer.token),
                                     body: try RouterHarness.chart("redis-lite-0.8.2.tgz")) {
                #expect($0.status == .unauthorized)
                #expect(String(buffer: $0.body).contains("token revoked"))
            }
            // The list has both, without secrets.
            try await client.execute(uri: "/api/admin/tokens", method: .get, headers: RouterHarness.headers("admin")) {
                let body = String(buffer: $0.body)
                #expect($0.status == .ok)
                #expect(body.contains(writer.id) && body.contains(reader.id))
                #expect(!body.contains(writer.token) && !body.contains(reader.token) && !body.contains("secret"))
            }
        }
    }

    @Test func creationIsForAdminsAndValidated() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let app = Application(router: harness.router)
        try await app.test(.router) { client in
            let valid: [String: Any] = ["name": "ci", "repositories": ["team"], "actions": ["read"], "expiresAt": Self.expiry]
            for (user, status) in [(nil, HTTPResponse.Status.unauthorized), ("writer", .forbidden)] as [(String?, HTTPResponse.Status)] {
                try await client.execute(uri: "/api/admin/tokens", method: .post, headers: RouterHarness.headers(user),
                                         body: Self.json(valid)) { #expect($0.status == status) }
            }
            var bad: [(ByteBuffer, String)] = [
                (ByteBuffer(string: "not json"), "JSON object"),
                (ByteBuffer(string: "[1]"), "JSON object"),
                (ByteBuffer(string: String(repeating: " ", count: 20_000) + "{}"), "exceeds"),
            ]
            for (key, value, message) in [("name", "a b" as Any, "name"), ("repositories", ["nowhere"], "nowhere"),
                                          ("repositories", "team", "list of strings"), ("actions", ["push"], "push"),
                                          ("expiresAt", "tomorrow", "RFC 3339"), ("expiresAt", "2001-01-01T00:00:00Z", "future"),
                                          ("scope", "all", "unknown field")] as [(String, Any, String)] {
                var body = valid
                body[key] = value
                bad.append((Self.json(body), message))
            }
            for (body, message) in bad {
                try await client.execute(uri: "/api/admin/tokens", method: .post, headers: RouterHarness.headers("admin"),
                                         body: body) { response in
                    #expect([.badRequest, .contentTooLarge].contains(response.status), "\(message)")
                    #expect(String(buffer: response.body).contains(message), "\(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/api/admin/tokens/0000000000000000", method: .delete,
                                     headers: RouterHarness.headers("admin")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/admin/tokens/..", method: .delete,
                                     headers: RouterHarness.headers("admin")) { #expect($0.status == .notFound) }
        }
    }

    @Test func badTokensAreRefusedWithoutCountingAsPasswordGuesses() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let app = Application(router: harness.router)
        try await app.test(.router) { client in
            let token = try await Self.create(client, repositories: ["team"], actions: ["read"])
            let forged = "cwt_" + token.id + "_" + String(repeating: "0", count: 64)
            // More failures than the per-address password limit (10) from this client.
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<12 {
                let text = attempt % 2 == 0 ? forged : "not-a-token-\(attempt)"
                try await client.execute(uri: "/team/index.yaml", method: .get, headers: Self.bearer(text)) {
                    statuses.append($0.status)
                }
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == .unauthorized })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            // The password bucket is untouched; the limited address is refused before any token
            // lookup, a valid token's too (review F13).
            try await client.execute(uri: "/team/index.yaml", method: .get, headers: RouterHarness.headers("reader")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/team/index.yaml", method: .get, headers: Self.bearer(token.token)) {
                #expect($0.status == .tooManyRequests)
            }
        }
    }
}

/// `GET /api/admin/webhooks/deliveries`: admins only; without webhooks configured, an empty page.
@Suite("Webhook deliveries route")
struct AdminWebhookRouterTests {
    @Test func onlyAdminsReadTheDeliveries() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let app = Application(router: harness.router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/admin/webhooks/deliveries", method: .get) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/api/admin/webhooks/deliveries", method: .get,
                                     headers: RouterHarness.headers("writer")) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/admin/webhooks/deliveries?limit=-1", method: .get,
                                     headers: RouterHarness.headers("admin")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/admin/webhooks/deliveries", method: .get,
                                     headers: RouterHarness.headers("admin")) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == #"{"deliveries":[],"pending":{}}"#)
            }
        }
    }
}
