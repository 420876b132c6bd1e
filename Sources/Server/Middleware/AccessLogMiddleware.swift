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
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(level: level, "request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "bytes": .stringConvertible(response.body.contentLength ?? -1),
            "duration_ms": .string(String(format: "%.2f", milliseconds)),
            "client": .string(context.channel.remoteAddress?.ipAddress ?? "-"),
        ])
        return response
    }
}
