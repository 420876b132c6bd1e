import ChartWardenCore
import Foundation
import Hummingbird

/// `/api/admin/tokens` (README, "API tokens"): admins create, list and revoke scoped API tokens.
/// Neither an API token nor an OIDC workload may manage tokens (`AccessPolicy.authorizeTokenAdmin`).
enum AdminTokenHandlers {
    /// A creation body is a few hundred bytes; anything much larger is refused unread.
    static let maxBodyBytes = 16 * 1_024

    /// POST /api/admin/tokens — `{"name", "repositories": [...], "actions": [...], "expiresAt"}`;
    /// 201 with the token, shown this once.
    static func create(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        try environment.policy.authorizeTokenAdmin(principals: principals)
        let fields = try await body(request)
        let created = try await environment.service.tokens.create(
            name: try string(fields, "name"), repositories: try strings(fields, "repositories"),
            actions: try strings(fields, "actions"),
            expiresAt: try string(fields, "expiresAt").map { text throws(ServiceError) in try date(text) },
            actor: AccessPolicy.actor(principals))
        return AdminProvenanceHandlers.respond(.created, created)
    }

    /// GET /api/admin/tokens — every token without its secret, newest first.
    static func list(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        try environment.policy.authorizeTokenAdmin(principals: try await environment.principals(request, context: context))
        return AdminProvenanceHandlers.respond(.ok, ["tokens": try await environment.service.tokens.list()])
    }

    /// DELETE /api/admin/tokens/{id} — revokes at once; 404 for an unknown id.
    static func revoke(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        try environment.policy.authorizeTokenAdmin(principals: principals)
        let view = try await environment.service.tokens.revoke(
            id: context.parameters.get("id") ?? "", actor: AccessPolicy.actor(principals))
        return AdminProvenanceHandlers.respond(.ok, view)
    }

    // MARK: body

    static let fields: Set<String> = ["name", "repositories", "actions", "expiresAt"]

    /// The body as a JSON object with only the known fields: a misspelt field is an error, not
    /// a token with a default the administrator did not mean.
    static func body(_ request: Request) async throws(ServiceError) -> [String: JSONValue] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBodyBytes {
            throw ServiceError(.payloadTooLarge, "the body exceeds \(maxBodyBytes) bytes")
        }
        var bytes: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard bytes.count + buffer.readableBytes <= maxBodyBytes else {
                    throw ServiceError(.payloadTooLarge, "the body exceeds \(maxBodyBytes) bytes")
                }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.badRequest, "the body could not be read")
        }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw ServiceError(.badRequest, "the body must be a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw ServiceError(.badRequest, "unknown field \"\(unknown.prefix(64))\" (expected name, repositories, actions, expiresAt)")
        }
        return object
    }

    static func string(_ object: [String: JSONValue], _ key: String) throws(ServiceError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw ServiceError(.badRequest, "\(key) must be a string")
        }
    }

    static func strings(_ object: [String: JSONValue], _ key: String) throws(ServiceError) -> [String]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let values)?:
            var result: [String] = []
            for value in values {
                guard case .string(let text) = value else { throw ServiceError(.badRequest, "\(key) must be a list of strings") }
                result.append(text)
            }
            return result
        default: throw ServiceError(.badRequest, "\(key) must be a list of strings")
        }
    }

    /// RFC 3339 only: a number would be ambiguous (seconds or milliseconds).
    static func date(_ text: String) throws(ServiceError) -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw ServiceError(.badRequest, "expiresAt must be an RFC 3339 time such as 2027-01-31T00:00:00Z")
    }
}
