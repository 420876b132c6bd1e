import Hummingbird

/// What `helm repo add/update` and `helm pull` use: index.yaml and the chart files.
enum HelmRepositoryHandlers {
    static func index(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, context: context)
        let snapshot = repository.snapshot
        let gzip = acceptsGzip(request.headers[.acceptEncoding])
        let etag = gzip ? snapshot.gzipETag : snapshot.etag
        var headers: HTTPFields = [
            .contentType: "application/x-yaml",
            .eTag: etag,
            .vary: "Accept-Encoding",
            .cacheControl: "no-cache",
        ]
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag) {
            return Response(status: .notModified, headers: headers)
        }
        let body = gzip ? snapshot.yamlGzip : snapshot.yaml
        if gzip { headers[.contentEncoding] = "gzip" }
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    static func file(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, context: context)
        let fileName = context.parameters.get("file") ?? ""
        guard fileName.hasSuffix(".tgz") || fileName.hasSuffix(".tgz.prov") else {
            throw ServiceError(.notFound, "\(fileName) not found")
        }
        let (file, bytes) = try await environment.service.file(named: fileName, in: repository)
        let etag = "\"\(file.digest.hex)\""
        // Never Content-Encoding: the .tgz is the representation; Helm checks its digest as is.
        var headers: HTTPFields = [.contentType: file.kind.contentType, .eTag: etag]
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(bytes.readableBytes)
        if request.method == .get {
            environment.metrics.chartServed(repository: repository.name, kind: file.kind == .chart ? "chart" : "provenance")
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }

    /// True when `Accept-Encoding` lists gzip with a non-zero quality.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "gzip" || parts.first == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// `If-None-Match` against a strong ETag: a list of tags or `*`.
    static func matches(_ condition: String, _ etag: String) -> Bool {
        condition.split(separator: ",").contains { item in
            let tag = item.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
