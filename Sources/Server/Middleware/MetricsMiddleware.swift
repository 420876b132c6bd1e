import Hummingbird

/// Counts requests by route pattern (never by raw path, which would explode cardinality) and
/// status, and records latency up to the response head (bodies are in-memory buffers).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.requestCompleted(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                                 status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
