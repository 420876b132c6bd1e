import ChartWardenCore
import HTTPTypes
import NIOCore

/// OCI pulls on the event-loop fast path (`HelmFastPathHandler`): GET and HEAD of a manifest or
/// a blob in a repository anonymous may read, answered when `OCIPullCache` already holds the
/// answer for the repository's current index generation (the router's handler filled it after
/// its own checks: the version active, the blob one of its layers) and, for a blob's body, when
/// the catalog's `BlobCache` holds its bytes. Anything else — a miss, a `Range`, credentials, a
/// repository anonymous cannot read, a quarantined or deleted version (never cached) — goes to
/// the router, so the grant checks and the `DENIED`/`NAME_UNKNOWN` rules stay in one place.
/// Answers carry the router's headers (`OCIResponses`), byte for byte alike.
extension HelmFastPathHandler {
    static let ociRoute = "/v2/**"

    func prepareOCIAnswer(for head: SimpleRequestHead) -> PreparedAnswer? {
        guard !head.hasRange, let route = try? OCIRoute.parse(head.path) else { return nil }
        let service = dependencies.service
        switch route {
        case .manifest(let address, let reference):
            guard let generation = publicGeneration(of: address.repository),
                  let manifest = service.oci.pulls.manifest(repository: address.repository, generation: generation,
                                                            chart: address.chart, reference: reference) else { return nil }
            let headers: HTTPFields = [.contentType: manifest.mediaType, .contentLength: String(manifest.content.readableBytes),
                                       .dockerContentDigest: manifest.digestHeader]
            return PreparedAnswer(response: HelmResponses.Answer(status: .ok, headers: headers, body: [manifest.content]),
                                  route: Self.ociRoute, served: nil)
        case .blob(let address, let digestText):
            guard let digest = OCIDigest.parse(digestText), let generation = publicGeneration(of: address.repository),
                  let size = service.oci.pulls.servedBlobSize(repository: address.repository, generation: generation,
                                                              chart: address.chart, digest: digest) else { return nil }
            if head.method == .head {
                let headers: HTTPFields = [.contentLength: String(size), .contentType: "application/octet-stream",
                                           .dockerContentDigest: digestText, .acceptRanges: "bytes"]
                return PreparedAnswer(response: HelmResponses.Answer(status: .ok, headers: headers), route: Self.ociRoute,
                                      served: nil)
            }
            guard let bytes = service.catalog.blobCache.get(digest) else { return nil }
            let headers: HTTPFields = [.acceptRanges: "bytes", .contentType: "application/octet-stream",
                                       .contentLength: String(bytes.readableBytes), .dockerContentDigest: digestText]
            return PreparedAnswer(response: HelmResponses.Answer(status: .ok, headers: headers, body: [bytes]),
                                  route: Self.ociRoute, served: nil)
        default:
            return nil
        }
    }

    /// The repository's current generation when anonymous may read it (the router's own rule,
    /// asked for an anonymous caller), else nil: the router answers.
    private func publicGeneration(of name: String) -> UInt64? {
        guard let repository = dependencies.service.repository(named: name),
              dependencies.policy.isPublic(repository.configuration) else { return nil }
        return repository.generation
    }
}
