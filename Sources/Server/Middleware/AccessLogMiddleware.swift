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
        Self.record(context.logger, level: level, AccessLogEntry(
            method: request.method.rawValue, path: request.uri.path, status: response.status.code,
            bytes: response.body.contentLength ?? -1, duration: ContinuousClock.now - start,
            client: context.channel.remoteAddress?.ipAddress ?? "-"))
        return response
    }

    /// The access log line, shared with the event-loop fast path so both log alike: through the
    /// buffered writer's queue as plain fields when the logger writes there, else as metadata.
    static func record(_ logger: Logger, level: Logger.Level, _ entry: AccessLogEntry, source: String = "Server") {
        record(logger, through: logger.handler as? BufferedLogHandler, level: level, entry, source: source)
    }

    /// `record`, for a caller that cast `logger.handler` once (the fast path, per connection).
    static func record(_ logger: Logger, through buffered: BufferedLogHandler?, level: Logger.Level,
                       _ entry: AccessLogEntry, source: String = "Server") {
        if let buffered, buffered.logAccess(entry, level: level, source: source) {
            return
        }
        logger.log(level: level, "\(LogRecord.accessMessage)", metadata: entry.metadata, source: source)
    }
}
