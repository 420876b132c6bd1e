import ChartWardenCore
import Foundation
import Hummingbird

/// Liveness, readiness, version and metrics.
enum SystemHandlers {
    static let version = "0.4.0"

    static func health(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        JSONResponse.make(.ok, ["healthy": true])
    }

    struct NotReady: Encodable {
        let ready = false
        let reason: String
    }

    /// Listeners open only after the store is open and every index is warm; after that, ready
    /// means the metadata store answers (a probe remembered about a second, `StoreReadiness`).
    /// While the database is down: 503 saying why, reads still served, and ready again once it
    /// is back, without a restart.
    static func ready(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        switch await environment.service.readiness.verdict() {
        case .ready:
            return JSONResponse.make(.ok, ["ready": true])
        case .notReady(let reason):
            return JSONResponse.make(.serviceUnavailable, NotReady(reason: reason),
                                     headers: [.retryAfter: String(ServiceError.storageRetryAfterSeconds)])
        }
    }

    struct Info: Encodable {
        let name = "chartwarden"
        let version: String
        let repositories: [String]
    }

    /// Lists only the repositories the caller may read, so private names do not leak.
    static func info(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let principals = try await environment.principals(request, context: context)
        let readable = environment.configuration.repositories.filter {
            environment.policy.granted(.read, in: $0, to: principals)
        }
        return JSONResponse.make(.ok, Info(version: version, repositories: readable.map(\.name)))
    }

    static func metrics(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        try await environment.requireMetricsAccess(request, context: context)
        let bytes = environment.metrics.render()
        return Response(status: .ok, headers: [
            .contentType: "text/plain; version=0.0.4; charset=utf-8", .contentLength: String(bytes.count),
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
