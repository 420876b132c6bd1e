import ChartWardenCore
import Hummingbird

/// What `helm repo add/update` and `helm pull` use: index.yaml and the chart files. Public
/// repositories are usually answered by `HelmFastPath` before reaching these; the answers are the
/// same `HelmResponses`.
enum HelmRepositoryHandlers {
    static func index(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        let snapshot = repository.snapshot
        func answer() -> HelmResponses.Answer? {
            HelmResponses.index(snapshot, of: repository.name, answers: environment.answers,
                                acceptEncoding: request.headers[.acceptEncoding], ifNoneMatch: request.headers[.ifNoneMatch])
        }
        if let ready = answer() { return response(ready) }
        // The first gzip request of this generation: compressed on the thread pool, then cached.
        _ = try await environment.service.catalog.gzippedIndex(of: snapshot)
        guard let compressed = answer() else { throw ServiceError(.internalError, "the gzip index was not kept") }
        return response(compressed)
    }

    static func file(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        let fileName = context.parameters.get("file") ?? ""
        guard HelmResponses.isServedFileName(fileName) else { throw ServiceError(.notFound, "\(fileName) not found") }
        let snapshot = repository.snapshot
        let (file, bytes) = try await environment.service.catalog.file(named: fileName, in: repository, snapshot: snapshot)
        if request.method == .get {
            environment.metrics.chartServed(repository: repository.name, kind: file.kind == .chart ? "chart" : "provenance")
        }
        let ok = environment.answers.fileOK(file, in: snapshot, repository: repository.name)
        return response(HelmResponses.file(file, bytes: bytes, ok: ok, ifNoneMatch: request.headers[.ifNoneMatch]))
    }

    private static func response(_ answer: HelmResponses.Answer) -> Response {
        let body: ResponseBody
        switch answer.body.count {
        case 0: body = ResponseBody()
        case 1: body = ResponseBody(byteBuffer: answer.body[0])
        default: body = ResponseBody(contentsOf: answer.body)
        }
        return Response(status: answer.status, headers: answer.headers, body: body)
    }
}
