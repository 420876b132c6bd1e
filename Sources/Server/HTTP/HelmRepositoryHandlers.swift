import ChartWardenCore
import Hummingbird

/// What `helm repo add/update` and `helm pull` use: index.yaml and the chart files. Public
/// repositories are usually answered by `HelmFastPath` before reaching these; the answers are the
/// same `HelmResponses`.
enum HelmRepositoryHandlers {
    static func index(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        return response(HelmResponses.index(repository.snapshot, of: repository.name, answers: environment.answers,
                                            acceptEncoding: request.headers[.acceptEncoding],
                                            ifNoneMatch: request.headers[.ifNoneMatch]))
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
        Response(status: answer.status, headers: answer.headers, body: answer.body.map { .init(byteBuffer: $0) } ?? .init())
    }
}
