import ChartWardenCore
import Foundation
import Hummingbird
import OpenSSLSupport

/// The OCI distribution API under `/v2/` (README, "OCI"): the same listeners, authentication and
/// grants as the classic door. Reading needs `read`, pushing `write`, deleting `delete`; a
/// repository the caller cannot read answers `NAME_UNKNOWN` exactly as a missing one does.
/// The handlers read the request, call `OCIRegistry`, and write the answer.
enum OCIHandlers {
    static func handle(_ request: Request, _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws -> Response {
        let response: Response
        do {
            guard let route = try OCIRoute.parse(request.uri.path) else {
                throw OCIError(.nameUnknown, "no such endpoint", statusOverride: 404)
            }
            response = try await dispatch(route, request, context, environment)
        } catch let error as OCIError {
            response = OCIResponses.error(error, context: context)
        } catch let error as ServiceError {
            response = OCIResponses.error(OCIError(error), context: context)
        }
        // HEAD is registered explicitly (no blob is read for it): its answers keep their headers, never a body.
        return request.method == .head ? response.createHeadResponse() : response
    }

    private static func dispatch(_ route: OCIRoute, _ request: Request, _ context: ChartWardenRequestContext,
                                 _ environment: ServerEnvironment) async throws -> Response {
        let registry = environment.service.oci
        let method = request.method
        switch route {
        case .base:
            guard method == .get || method == .head else { throw unsupportedMethod }
            let principals = try await environment.principals(request, context: context)
            guard AccessPolicy.isAuthenticated(principals) else { throw OCIError(.unauthorized, "authentication required") }
            return JSONResponse.make(.ok, [String: String](), headers: [.dockerDistributionAPIVersion: "registry/2.0"])

        case .manifest(let address, let reference):
            switch method {
            case .get, .head:
                _ = try await access(.read, address, request, context, environment)
                let manifest = try await registry.manifest(reference, at: address)
                return OCIResponses.content(.ok, bytes: manifest.content, contentType: manifest.mediaType,
                                            digest: manifest.digestHeader)
            case .put:
                let (repository, principals) = try await access(.write, address, request, context, environment)
                let bytes = try await readManifest(request)
                let (digest, _, subject) = try await registry.push(
                    bytes, contentType: request.headers[.contentType], reference: reference, at: address, to: repository,
                    uploader: AccessPolicy.actor(principals), uploaderPrincipals: Set(principals.map(\.description)))
                let digestText = OCIDigest.string(digest)
                var headers: HTTPFields = [.location: "/v2/\(address.name)/manifests/\(digestText)", .dockerContentDigest: digestText]
                // Distribution-spec 1.1: a registry that lists referrers says so by naming the subject.
                if let subject { headers[.ociSubject] = OCIDigest.string(subject) }
                return OCIResponses.empty(.created, headers: headers)
            case .delete:
                let (repository, principals) = try await access(.delete, address, request, context, environment)
                let version = try await registry.versionToDelete(reference, at: address)
                try await environment.service.ingest.delete(name: address.chart, version: version, from: repository,
                                                            actor: AccessPolicy.actor(principals),
                                                            byGlobalAdmin: environment.policy.isAdmin(principals))
                return OCIResponses.empty(.accepted)
            default:
                throw unsupportedMethod
            }

        case .blob(let address, let digestText):
            guard method == .get || method == .head else {
                throw OCIError(.unsupported, "blobs are removed with the chart version they belong to")
            }
            let (repository, _) = try await access(.read, address, request, context, environment)
            guard let digest = OCIDigest.parse(digestText) else {
                throw OCIError(.digestInvalid, "\(digestText) is not a sha256 digest")
            }
            // Writers also see the blobs they uploaded: ask who the caller is even where anonymous may read.
            let principals = try await environment.principals(request, context: context, repositoryNamed: address.repository)
            let uploader = environment.policy.granted(.write, in: repository.configuration, to: principals)
                ? AccessPolicy.actor(principals) : nil
            return try await blob(digest, at: address, uploader: uploader, head: method == .head, request, registry)

        case .uploads(let address):
            guard method == .post else { throw unsupportedMethod }
            let (_, principals) = try await access(.write, address, request, context, environment)
            let handle = try await registry.startUpload(at: address, owner: AccessPolicy.actor(principals))
            if let digestText = request.uri.queryParameters["digest"] {
                // A monolithic upload: the whole blob in this request.
                guard let digest = OCIDigest.parse(String(digestText)) else {
                    await registry.fail(handle)
                    throw OCIError(.digestInvalid, "\(digestText) is not a sha256 digest")
                }
                try await registry.append(request.body, to: handle, start: nil)
                try await registry.finish(handle, digest: digest)
                return blobCreated(address, digest)
            }
            // `mount`/`from` (cross-repository mounts) are answered with a fresh session, as the spec allows.
            await registry.release(handle)
            return uploadProgress(.accepted, address, handle, size: 0)

        case .upload(let address, let id):
            let (_, principals) = try await access(.write, address, request, context, environment)
            let handle = try await registry.checkOut(id, at: address, owner: AccessPolicy.actor(principals))
            switch method {
            case .patch:
                try await registry.append(request.body, to: handle, start: try chunkStart(request, handle, registry))
                await registry.release(handle)
                return uploadProgress(.accepted, address, handle, size: handle.writer.bytesWritten)
            case .put:
                guard let digestText = request.uri.queryParameters["digest"], let digest = OCIDigest.parse(String(digestText)) else {
                    await registry.release(handle)
                    throw OCIError(.digestInvalid, "the closing PUT needs ?digest=sha256:<hex>")
                }
                try await registry.append(request.body, to: handle, start: nil)
                try await registry.finish(handle, digest: digest)
                return blobCreated(address, digest)
            case .get:
                await registry.release(handle)
                return uploadProgress(.noContent, address, handle, size: handle.writer.bytesWritten)
            case .delete:
                await registry.fail(handle)
                return OCIResponses.empty(.noContent)
            default:
                await registry.release(handle)
                throw unsupportedMethod
            }

        case .tags(let address):
            guard method == .get || method == .head else { throw unsupportedMethod }
            _ = try await access(.read, address, request, context, environment)
            return try await tags(address, request, registry)

        case .referrers(let address, let digestText):
            guard method == .get || method == .head else { throw unsupportedMethod }
            _ = try await access(.read, address, request, context, environment)
            guard let digest = OCIDigest.parse(digestText) else { throw OCIError(.digestInvalid, "\(digestText) is not a sha256 digest") }
            let artifactType = request.uri.queryParameters["artifactType"].map(String.init)
            let referrers = try await registry.referrers(of: digest, at: address, artifactType: artifactType)
            var headers: HTTPFields = [:]
            if artifactType != nil { headers[.ociFiltersApplied] = "artifactType" }
            return JSONResponse.make(.ok, ReferrersIndex(manifests: referrers), headers: headers)
                .withContentType(ReferrersIndex.mediaType)
        }
    }

    private static let unsupportedMethod = OCIError(.unsupported, "method not supported on this endpoint")

    /// The repository of `address` with `permission` checked by the same `AccessPolicy` as the
    /// classic door; its 404 (missing or unreadable) becomes `NAME_UNKNOWN`.
    private static func access(_ permission: Permission, _ address: OCIAddress, _ request: Request,
                               _ context: ChartWardenRequestContext, _ environment: ServerEnvironment)
        async throws(OCIError) -> (ChartRepository, Set<Principal>) {
        do {
            return try await environment.resolve(permission, repositoryNamed: address.repository, request, context: context)
        } catch {
            throw OCIError(error)
        }
    }

    private static func readManifest(_ request: Request) async throws(OCIError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await buffer in request.body {
                guard bytes.count + buffer.readableBytes <= HelmChartManifest.maxBytes else {
                    throw OCIError(.sizeInvalid, "manifest is larger than \(HelmChartManifest.maxBytes) bytes", statusOverride: 413)
                }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as OCIError {
            throw error
        } catch {
            throw OCIError(.manifestInvalid, "the manifest body could not be read")
        }
        return bytes
    }

    private static func blob(_ digest: SHA256Digest, at address: OCIAddress, uploader: String?, head: Bool, _ request: Request,
                             _ registry: OCIRegistry) async throws(OCIError) -> Response {
        let digestText = OCIDigest.string(digest)
        if head {
            let size = try await registry.blobSize(digest, at: address, uploader: uploader)
            var headers: HTTPFields = [.contentLength: String(size), .contentType: "application/octet-stream",
                                       .dockerContentDigest: digestText, .acceptRanges: "bytes"]
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: .init())
        }
        let bytes = try await registry.blob(digest, at: address, uploader: uploader)
        if let range = request.headers[.range] {
            let size = bytes.readableBytes
            guard let (start, end) = byteRange(range, size: size),
                  let part = bytes.getSlice(at: bytes.readerIndex + start, length: end - start + 1) else {
                throw OCIError(.rangeInvalid, "range \(range) is not satisfiable for \(size) bytes")
            }
            return OCIResponses.content(.partialContent, bytes: part,
                                        contentType: "application/octet-stream", digest: digestText,
                                        headers: [.contentRange: "bytes \(start)-\(end)/\(size)"])
        }
        return OCIResponses.content(.ok, bytes: bytes, contentType: "application/octet-stream",
                                    digest: digestText, headers: [.acceptRanges: "bytes"])
    }

    /// `bytes=START-END`, `bytes=START-` or `bytes=-SUFFIX`, one range, inclusive bounds.
    static func byteRange(_ header: String, size: Int) -> (Int, Int)? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let suffix = decimal(last), suffix > 0 else { return nil }
            return (max(0, size - suffix), size - 1)
        }
        guard let start = decimal(first), start < size else { return nil }
        if last.isEmpty { return (start, size - 1) }
        guard let end = decimal(last), end >= start else { return nil }
        return (start, min(end, size - 1))
    }

    /// Digits only: `Int("+5")` and `Int("-0")` would take a sign no header grammar allows.
    static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// A chunk's `Content-Range: START-END` (inclusive), checked against what the session holds
    /// and the body's `Content-Length` before any byte is read: a chunk that does not fit is 416
    /// `RANGE_INVALID` and the session stays open, so the client can ask where it is and resume.
    private static func chunkStart(_ request: Request, _ handle: OCIUploadSessions.Handle,
                                   _ registry: OCIRegistry) async throws(OCIError) -> Int64? {
        guard let header = request.headers[.contentRange] else { return nil }
        let text = header.hasPrefix("bytes ") ? header.dropFirst(6) : Substring(header)
        guard let dash = text.firstIndex(of: "-"), let start = decimal(text[..<dash]),
              let end = decimal(text[text.index(after: dash)...]), end >= start else {
            await registry.release(handle)
            throw OCIError(.rangeInvalid, "Content-Range \(header) is not START-END")
        }
        guard Int64(start) == handle.writer.bytesWritten else {
            let received = handle.writer.bytesWritten
            await registry.release(handle)
            throw OCIError(.rangeInvalid, "chunk starts at \(start), but \(received) bytes were received")
        }
        // `end - start` cannot overflow (both are non-negative); `+ 1` could, at `0-Int.max`.
        if let lengthText = request.headers[.contentLength], let length = decimal(Substring(lengthText)),
           end - start != length - 1 {
            await registry.release(handle)
            throw OCIError(.rangeInvalid, "Content-Range \(header) does not span the body's \(length) bytes")
        }
        return Int64(start)
    }

    private static func blobCreated(_ address: OCIAddress, _ digest: SHA256Digest) -> Response {
        let digestText = OCIDigest.string(digest)
        return OCIResponses.empty(.created, headers: [.location: "/v2/\(address.name)/blobs/\(digestText)",
                                                      .dockerContentDigest: digestText])
    }

    private static func uploadProgress(_ status: HTTPResponse.Status, _ address: OCIAddress,
                                       _ handle: OCIUploadSessions.Handle, size: Int64) -> Response {
        OCIResponses.empty(status, headers: [
            .location: "/v2/\(address.name)/blobs/uploads/\(handle.id)",
            .range: "0-\(max(size - 1, 0))",
            .dockerUploadUUID: handle.id,
        ])
    }

    private static func tags(_ address: OCIAddress, _ request: Request, _ registry: OCIRegistry) async throws -> Response {
        var tags = try await registry.tags(at: address)
        if let last = request.uri.queryParameters["last"] {
            tags = tags.filter { $0 > String(last) }
        }
        var headers: HTTPFields = [:]
        if let nText = request.uri.queryParameters["n"] {
            guard let n = decimal(nText) else { throw OCIError(.nameInvalid, "n must be a non-negative integer", statusOverride: 400) }
            if tags.count > n {
                tags = Array(tags.prefix(n))
                if let lastTag = tags.last {
                    headers[.link] = "</v2/\(address.name)/tags/list?n=\(n)&last=\(lastTag)>; rel=\"next\""
                }
            }
        }
        return JSONResponse.make(.ok, TagList(name: address.name, tags: tags), headers: headers)
    }

    struct TagList: Encodable {
        let name: String
        let tags: [String]
    }

    /// The referrers answer: an image index of the referring manifests' descriptors.
    struct ReferrersIndex: Encodable {
        static let mediaType = "application/vnd.oci.image.index.v1+json"
        let schemaVersion = 2
        let mediaType = Self.mediaType
        let manifests: [OCIReferrer]
    }
}

private extension Response {
    func withContentType(_ type: String) -> Response {
        var response = self
        response.headers[.contentType] = type
        return response
    }
}
