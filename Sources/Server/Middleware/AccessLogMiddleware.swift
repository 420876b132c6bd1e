import Foundation
import Hummingbird
import Logging
import NIOCore

/// One structured log line per request: method, path, status, bytes, duration, client.
/// Query strings are left out: they may carry tokens.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext
    let level: Logger.Level

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= level else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        Self.record(context.logger, level: level, method: request.method.rawValue, path: request.uri.path,
                    status: response.status.code, bytes: response.body.contentLength ?? -1,
                    duration: ContinuousClock.now - start, client: context.channel.remoteAddress?.ipAddress)
        return response
    }

    /// The access log line, shared with the event-loop fast path so both log alike.
    static func record(_ logger: Logger, level: Logger.Level, method: String, path: String, status: Int, bytes: Int,
                       duration: Duration, client: String?, extra: Logger.Metadata = [:]) {
        var metadata: Logger.Metadata = [
            "method": .string(method),
            "path": .string(path),
            "status": .stringConvertible(status),
            "bytes": .stringConvertible(bytes),
            "duration_ms": .stringConvertible(DurationMilliseconds(duration)),
            "client": .string(client ?? "-"),
        ]
        metadata.merge(extra) { current, _ in current }
        logger.log(level: level, "request", metadata: metadata)
    }
}
