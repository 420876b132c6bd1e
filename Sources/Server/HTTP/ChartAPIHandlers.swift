import ChartIndex
import ChartModel
import ChartWardenCore
import Foundation
import Hummingbird

/// The ChartMuseum-compatible API that CI pipelines use.
enum ChartAPIHandlers {
    static func upload(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, principals) = try await environment.resolve(.write, request, context: context)
        let uploader = AccessPolicy.actor(principals)
        let uploaderPrincipals = Set(principals.map(\.description))
        let force = isTrue(request.uri.queryParameters["force"])
        let reader = environment.uploadReader
        do {
            let outcome: ChartService.UploadOutcome
            if let boundary = UploadReader.multipartBoundary(request.headers[.contentType]) {
                let parts = try await reader.readMultipart(request, boundary: boundary)
                switch (parts.chart, parts.provenance) {
                case (let chart?, let provenance):
                    outcome = try await environment.service.ingest.upload(chart: chart, provenance: provenance, to: repository,
                                                                   uploader: uploader, uploaderPrincipals: uploaderPrincipals,
                                                                   force: force)
                case (nil, let provenance?):
                    try await environment.service.ingest.attachProvenance(provenance, to: repository, uploader: uploader)
                    outcome = .published
                case (nil, nil):
                    throw ServiceError(.badRequest, "multipart upload has neither a '\(reader.chartField)' nor a '\(reader.provenanceField)' field")
                }
            } else {
                let chart = try await reader.readRaw(request)
                guard !chart.isEmpty else { throw ServiceError(.badRequest, "the upload body is empty") }
                outcome = try await environment.service.ingest.upload(chart: chart, provenance: nil, to: repository,
                                                               uploader: uploader, uploaderPrincipals: uploaderPrincipals,
                                                               force: force)
            }
            let counted = switch outcome {
            case .published: "saved"
            case .staged: "staged"
            case .unchanged: "unchanged"
            }
            environment.metrics.upload(repository: repository.name, outcome: counted)
            switch outcome {
            case .published:
                return JSONResponse.make(.created, ["saved": true])
            case .unchanged:
                return JSONResponse.make(.created, ["saved": true, "unchanged": true])
            case .staged:
                return JSONResponse.make(.accepted, UploadPending())
            }
        } catch let error as ServiceError {
            environment.metrics.upload(repository: repository.name, outcome: error.code.rawValue)
            if error.code == .payloadTooLarge {
                // Tell the client to stop sending; the rest of the body is discarded, never held.
                return JSONResponse.make(.contentTooLarge, ["error": error.message], headers: [.connection: "close"])
            }
            throw error
        }
    }

    struct UploadPending: Encodable {
        let saved = false
        let pending = "provenance"
    }

    static func uploadProvenance(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, principals) = try await environment.resolve(.write, request, context: context)
        let provenance = try await environment.uploadReader.readRaw(request)
        guard !provenance.isEmpty else { throw ServiceError(.badRequest, "the provenance body is empty") }
        try await environment.service.ingest.attachProvenance(provenance, to: repository,
                                                            uploader: AccessPolicy.actor(principals))
        return JSONResponse.make(.created, ["saved": true])
    }

    static func list(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        let offset = try integer(request.uri.queryParameters["offset"], name: "offset") ?? 0
        let limit = try integer(request.uri.queryParameters["limit"], name: "limit")
        var names = repository.chartNames.dropFirst(offset)
        if let limit { names = names.prefix(limit) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: quoted(name))
            out.append(UInt8(ascii: ":"))
            appendArray(repository.versionsJSON(named: name), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return JSONResponse.make(.ok, bytes: ByteBuffer(bytes: out))
    }

    static func versions(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        let name = context.parameters.get("name") ?? ""
        let versions = repository.versionsJSON(named: name)
        guard !versions.isEmpty else { throw ServiceError(.notFound, "chart \(name) not found") }
        var out: [UInt8] = []
        appendArray(versions, to: &out)
        return JSONResponse.make(.ok, bytes: ByteBuffer(bytes: out))
    }

    static func version(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, _) = try await environment.resolve(.read, request, context: context)
        let name = context.parameters.get("name") ?? ""
        let version = context.parameters.get("version") ?? ""
        let versions = repository.versionsJSON(named: name)
        let found: (version: String, json: ByteBuffer)?
        if version == "latest" {
            // Newest stable version, as `helm install` picks; pre-releases only when nothing else exists.
            found = versions.first { SemanticVersion($0.version)?.isPreRelease == false } ?? versions.first
        } else {
            found = versions.first { $0.version == version }
        }
        guard let found else { throw ServiceError(.notFound, "chart \(name) version \(version) not found") }
        return JSONResponse.make(.ok, bytes: found.json)
    }

    static func delete(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let (repository, principals) = try await environment.resolve(.delete, request, context: context)
        let name = context.parameters.get("name") ?? ""
        let version = context.parameters.get("version") ?? ""
        try await environment.service.ingest.delete(name: name, version: version, from: repository,
                                                    actor: AccessPolicy.actor(principals),
                                                    byGlobalAdmin: environment.policy.isAdmin(principals))
        return JSONResponse.make(.ok, ["deleted": true])
    }

    // MARK: helpers

    private static func appendArray(_ versions: [(version: String, json: ByteBuffer)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, version) in versions.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: version.json.readableBytesView)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func quoted(_ string: String) -> [UInt8] {
        Array((try? JSONEncoder().encode(string)) ?? Data("\"\"".utf8))
    }

    static func isTrue(_ value: Substring?) -> Bool {
        guard let value else { return false }
        return value.isEmpty || ["true", "1", "yes"].contains(value.lowercased())
    }

    private static func integer(_ value: Substring?, name: String) throws(ServiceError) -> Int? {
        guard let value else { return nil }
        guard let number = Int(value), number >= 0 else {
            throw ServiceError(.badRequest, "\(name) must be a non-negative integer")
        }
        return number
    }
}
