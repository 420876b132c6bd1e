import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Server
import Testing

/// Every route's status for anonymous, reader, writer and admin callers, over charts that are
/// present, missing, quarantined and staged — in process, through the real router and core.
@Suite("Router status matrix")
struct RouterStatusTests {
    struct Case: CustomStringConvertible {
        let method: HTTPRequest.Method
        let uri: String
        let user: String?
        let status: HTTPResponse.Status
        var body: ByteBuffer?

        init(_ method: HTTPRequest.Method, _ uri: String, _ user: String?, _ status: HTTPResponse.Status,
             body: ByteBuffer? = nil) {
            (self.method, self.uri, self.user, self.status, self.body) = (method, uri, user, status, body)
        }

        var description: String { "\(method) \(uri) as \(user ?? "anonymous")" }
    }

    static let users: [String?] = [nil, "reader", "writer", "admin"]

    func run(_ harness: RouterHarness, _ cases: [Case]) async throws {
        let app = Application(router: harness.router)
        try await app.test(.router) { client in
            for item in cases {
                try await client.execute(uri: item.uri, method: item.method, headers: RouterHarness.headers(item.user),
                                         body: item.body) { response in
                    #expect(response.status == item.status, "\(item): \(String(buffer: response.body))")
                }
            }
        }
    }

    /// team: redis-lite 0.8.1 present, 0.8.2 quarantined, webapp missing; signed: redis-lite staged.
    func populated() async throws -> RouterHarness {
        let harness = try await RouterHarness()
        try await run(harness, [
            Case(.post, "/api/team/charts", "writer", .created, body: try RouterHarness.chart("redis-lite-0.8.1.tgz")),
            Case(.post, "/api/team/charts", "writer", .created, body: try RouterHarness.chart("redis-lite-0.8.2.tgz")),
            Case(.post, "/api/public/charts", "writer", .created, body: try RouterHarness.chart("redis-lite-0.8.1.tgz")),
            Case(.post, "/api/signed/charts", "writer", .accepted, body: try RouterHarness.chart("redis-lite-0.8.1.tgz")),
        ])
        try await harness.quarantine("team", "redis-lite", "0.8.2")
        return harness
    }

    @Test func helmRepositoryRoutes() async throws {
        let harness = try await populated()
        defer { harness.remove() }
        var cases: [Case] = []
        for user in Self.users {
            let readable = user != nil
            cases += [
                Case(.get, "/team/index.yaml", user, readable ? .ok : .unauthorized),
                Case(.head, "/team/index.yaml", user, readable ? .ok : .unauthorized),
                Case(.get, "/team/charts/redis-lite-0.8.1.tgz", user, readable ? .ok : .unauthorized),
                Case(.get, "/team/charts/redis-lite-0.8.2.tgz", user, readable ? .forbidden : .unauthorized),
                Case(.get, "/team/charts/webapp-1.1.0.tgz", user, readable ? .notFound : .unauthorized),
                Case(.get, "/public/index.yaml", user, .ok),
                Case(.get, "/public/charts/redis-lite-0.8.1.tgz", user, .ok),
                Case(.get, "/public/charts/webapp-1.1.0.tgz", user, .notFound),
                // A stage is invisible: not in the index, not downloadable.
                Case(.get, "/signed/charts/redis-lite-0.8.1.tgz", user, readable ? .notFound : .unauthorized),
                // A repository nobody configured answers like one the caller cannot read.
                Case(.get, "/nowhere/index.yaml", user, readable ? .notFound : .unauthorized),
            ]
        }
        try await run(harness, cases)
    }

    @Test func chartAPIRoutes() async throws {
        let harness = try await populated()
        defer { harness.remove() }
        var cases: [Case] = []
        for user in Self.users {
            let readable = user != nil
            cases += [
                Case(.get, "/api/team/charts", user, readable ? .ok : .unauthorized),
                Case(.get, "/api/team/charts/redis-lite", user, readable ? .ok : .unauthorized),
                Case(.get, "/api/team/charts/redis-lite/0.8.1", user, readable ? .ok : .unauthorized),
                // Quarantined and staged versions are not listed.
                Case(.get, "/api/team/charts/redis-lite/0.8.2", user, readable ? .notFound : .unauthorized),
                Case(.get, "/api/signed/charts/redis-lite", user, readable ? .notFound : .unauthorized),
                Case(.get, "/api/team/charts/webapp", user, readable ? .notFound : .unauthorized),
            ]
        }
        for user in Self.users {
            cases.append(Case(.post, "/api/team/charts", user,
                              user == nil ? .unauthorized : user == "writer" ? .created : .forbidden,
                              body: try RouterHarness.chart("webapp-1.1.0.tgz")))
        }
        cases += [
            // Present twice with the same bytes: an idempotent no-op (201); a body that is no chart: a 400.
            Case(.post, "/api/team/charts", "writer", .created, body: try RouterHarness.chart("redis-lite-0.8.1.tgz")),
            Case(.post, "/api/team/charts", "writer", .badRequest, body: ByteBuffer(string: "not a chart")),
            Case(.delete, "/api/team/charts/redis-lite/0.8.1", nil, .unauthorized),
            Case(.delete, "/api/team/charts/redis-lite/0.8.1", "reader", .forbidden),
            Case(.delete, "/api/team/charts/redis-lite/0.8.1", "writer", .forbidden),
            Case(.delete, "/api/team/charts/redis-lite/0.8.1", "admin", .ok),
            Case(.delete, "/api/team/charts/redis-lite/0.8.1", "admin", .notFound),
            // A quarantined version: a global admin (only) may delete it (README, ChartMuseum API).
            Case(.delete, "/api/team/charts/redis-lite/0.8.2", "admin", .ok),
            Case(.get, "/team/charts/redis-lite-0.8.1.tgz", "reader", .notFound),
        ]
        try await run(harness, cases)
    }

    @Test func adminRoutes() async throws {
        let harness = try await populated()
        defer { harness.remove() }
        var cases: [Case] = []
        for user in Self.users {
            let denied: HTTPResponse.Status = user == nil ? .unauthorized : user == "admin" ? .ok : .forbidden
            cases += [
                Case(.get, "/api/admin/audit", user, denied),
                Case(.get, "/api/admin/quarantine", user, denied),
                Case(.get, "/api/admin/signers", user, denied),
            ]
        }
        cases += [
            Case(.get, "/api/admin/charts/team/redis-lite/0.8.2/provenance", "admin", .ok),
            Case(.get, "/api/admin/charts/team/webapp/1.1.0/provenance", "admin", .notFound),
            Case(.post, "/api/admin/quarantine/team/redis-lite/0.8.2/restore", "writer", .forbidden),
            Case(.post, "/api/admin/quarantine/team/redis-lite/0.8.1/restore", "admin", .notFound),
            Case(.post, "/api/admin/quarantine/team/redis-lite/0.8.2/restore", "admin", .ok),
            // Restored: served again.
            Case(.get, "/team/charts/redis-lite-0.8.2.tgz", "reader", .ok),
        ]
        try await run(harness, cases)
    }

    @Test func systemRoutes() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        try await run(harness, [
            Case(.get, "/health", nil, .ok),
            Case(.get, "/ready", nil, .ok),
            Case(.get, "/metrics", nil, .unauthorized),
            Case(.get, "/metrics", "reader", .forbidden),
            Case(.get, "/metrics", "admin", .ok),
        ])
    }

    /// The OCI door under the same grants: 401 without credentials, NAME_UNKNOWN (404) for a
    /// repository the caller cannot read exactly as for a missing one, DENIED for a quarantined
    /// version, nothing for a staged one.
    @Test func ociRoutes() async throws {
        let harness = try await populated()
        defer { harness.remove() }
        var cases: [Case] = []
        for user in Self.users {
            let authenticated = user != nil
            cases += [
                Case(.get, "/v2/", user, authenticated ? .ok : .unauthorized),
                Case(.get, "/v2/team/redis-lite/manifests/0.8.1", user, authenticated ? .ok : .unauthorized),
                Case(.head, "/v2/team/redis-lite/manifests/0.8.1", user, authenticated ? .ok : .unauthorized),
                Case(.get, "/v2/team/redis-lite/manifests/0.8.2", user, authenticated ? .forbidden : .unauthorized),
                Case(.get, "/v2/team/webapp/manifests/1.0.0", user, authenticated ? .notFound : .unauthorized),
                Case(.get, "/v2/team/redis-lite/tags/list", user, authenticated ? .ok : .unauthorized),
                Case(.get, "/v2/nosuch/redis-lite/tags/list", user, authenticated ? .notFound : .unauthorized),
                Case(.get, "/v2/public/redis-lite/manifests/0.8.1", user, .ok),
                Case(.get, "/v2/signed/redis-lite/manifests/0.8.1", user,
                     user == nil ? .unauthorized : .notFound),
                Case(.post, "/v2/team/redis-lite/blobs/uploads/", user,
                     user == nil ? .unauthorized : user == "writer" ? .accepted : .forbidden),
                Case(.get, "/v2/team/Bad_Name/tags/list", user, .badRequest),
            ]
        }
        try await run(harness, cases)
    }
}
