import ChartWardenCore
import Foundation
import Hummingbird
import Storage

/// The admin API (README, "HTTP API"). Served on the main listener, or only on `server.adminListen`
/// when that is configured.
enum AdminHandlers {
    /// The root repository is written `_` where a path segment or parameter cannot be empty.
    static func repository(named text: String?, _ environment: ServerEnvironment) -> (name: String, repository: ChartRepository?)? {
        guard let text else { return nil }
        let name = text == "_" ? "" : text
        return (name, environment.service.repository(named: name))
    }

    struct AuditPage: Encodable {
        let events: [Event]
        /// Pass as `before` to read the next (older) page; absent on the last page.
        let next: Int64?

        struct Event: Encodable {
            let id: Int64?
            let at: String
            let repository: String?
            let actor: String
            let action: String
            let outcome: String
            let subject: String?
            let detail: JSONValue?
            /// Refused client certificates still being counted: no row yet (`id` is null); the
            /// row is written once their minute is over.
            var pending: Bool? = nil
        }
    }

    /// GET /api/admin/audit?since=&repo=&outcome=&action=&before=&limit=
    static func audit(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let parameters = request.uri.queryParameters
        let principals = try await environment.principals(request, context: context)
        let requested = repository(named: parameters["repo"].map(String.init), environment)
        if let requested, requested.repository == nil, environment.policy.isAdmin(principals) {
            throw ServiceError(.notFound, "repository not found")
        }
        // Delete holders of a repository may read its audit; a repository they cannot see is 404.
        if let requested, !environment.policy.isAdmin(principals) {
            _ = try environment.policy.authorize(.read, in: requested.repository, principals: principals)
        }
        try environment.policy.authorizeAdmin(for: requested?.repository, principals: principals)
        var query = AuditQuery(repository: requested?.name)
        query.outcome = parameters["outcome"].map(String.init)
        query.action = parameters["action"].map(String.init)
        if let since = parameters["since"] { query.since = try date(String(since)) }
        query.beforeID = try integer(parameters["before"], name: "before").map(Int64.init)
        query.limit = min(try integer(parameters["limit"], name: "limit") ?? 100, 1_000)
        let events = try await environment.service.audit.events(query)
        // Refused client certificates are counted in memory until their minute is over; they are
        // shown, newest, without being written early (one row per address and minute).
        let pending = environment.authenticator.pendingCertificateRejections(matching: query, stored: events)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func entry(_ event: AuditEvent, pending: Bool) -> AuditPage.Event {
            .init(id: event.id, at: formatter.string(from: event.at), repository: event.repository, actor: event.actor,
                  action: event.action.rawValue, outcome: event.outcome.rawValue, subject: event.subject,
                  detail: event.detail.map(JSONValue.init(text:)), pending: pending ? true : nil)
        }
        let page = AuditPage(
            events: pending.map { entry($0, pending: true) } + events.map { entry($0, pending: false) },
            next: events.count == query.limit ? events.last?.id : nil)
        return JSONResponse.make(.ok, page)
    }

    /// RFC 3339 (`2026-11-22T10:00:00Z`) or Unix seconds.
    static func date(_ text: String) throws(ServiceError) -> Date {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw ServiceError(.badRequest, "since must be an RFC 3339 time or Unix seconds, got \"\(text)\"")
    }

    static func integer(_ text: Substring?, name: String) throws(ServiceError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw ServiceError(.badRequest, "\(name) must be a non-negative integer")
        }
        return value
    }

    /// Answers every admin path on the main listener when the admin API lives on its own listener,
    /// exactly like a route that does not exist.
    static func hidden(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        throw ServiceError(.notFound, "not found")
    }
}
