import ChartWardenCore
import Foundation
import Hummingbird
import Storage

/// `GET /api/admin/webhooks/deliveries` (README, "Webhooks"): recent delivery attempts, newest
/// first, and what each configured receiver is still owed. Admins only; receivers' URLs are shown
/// without user information or query (they may carry credentials), secrets never.
enum AdminWebhookHandlers {
    struct DeliveriesPage: Encodable {
        let deliveries: [Attempt]
        /// Per configured receiver (its URL without credentials): deliveries still owed.
        let pending: [String: Int]
        /// Pass as `before` to read the next (older) page; absent on the last page.
        let next: Int64?

        struct Attempt: Encodable {
            let id: Int64?
            let eventID: String
            let type: String
            let url: String
            let attempt: Int
            let statusCode: Int?
            let error: String?
            let outcome: String
            let at: String
            let nextAttemptAt: String?
        }
    }

    static func deliveries(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let parameters = request.uri.queryParameters
        try environment.policy.authorizeAdmin(for: nil, principals: try await environment.principals(request, context: context))
        let before = try AdminHandlers.integer(parameters["before"], name: "before").map(Int64.init)
        let limit = min(max(try AdminHandlers.integer(parameters["limit"], name: "limit") ?? 100, 1), 1_000)
        guard let outbox = environment.service.webhooks else {
            return JSONResponse.make(.ok, DeliveriesPage(deliveries: [], pending: [:], next: nil))
        }
        let attempts = try await outbox.attempts(beforeID: before, limit: limit)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let page = DeliveriesPage(
            deliveries: attempts.map { attempt in
                .init(id: attempt.id, eventID: attempt.eventID, type: attempt.eventType, url: attempt.url,
                      attempt: attempt.attempt, statusCode: attempt.statusCode, error: attempt.error,
                      outcome: attempt.outcome.rawValue, at: formatter.string(from: attempt.at),
                      nextAttemptAt: attempt.nextAttemptAt.map(formatter.string(from:)))
            },
            pending: try await outbox.pending(),
            next: attempts.count == limit ? attempts.last?.id : nil)
        return JSONResponse.make(.ok, page)
    }
}
