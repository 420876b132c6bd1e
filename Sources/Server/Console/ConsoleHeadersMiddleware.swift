import ChartWardenCore
import Hummingbird

/// On a listener serving the console, every answer under `/console` carries the console's
/// security headers, including the router's own 404 and 405 for paths and methods no console
/// route takes (answered as the console's HTML error page rather than the API's JSON).
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext

    static func isConsole(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isConsole(request.uri.path) else { return try await next(request, context) }
        do {
            var response = try await next(request, context)
            if response.headers[.contentSecurityPolicy] == nil { ConsoleResponse.securityHeaders(&response.headers) }
            return response
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            let unrouted = error.status == .notFound || error.status == .methodNotAllowed
            let answer = unrouted ? ServiceError(.notFound, "no console page answers \(request.method) \(request.uri.path)")
                : ServiceError(.badRequest, (error as? HTTPError)?.body ?? ErrorMiddleware.defaultMessage(error.status))
            return ConsoleResponse.error(answer, session: nil, requestID: context.requestID)
        }
    }
}
