import HTTPTypes
import NIOCore
import OpenSSLSupport

/// A downloadable file of a repository (`N-V.tgz` or `N-V.tgz.prov`) and the blob behind it.
struct ServedFile: Sendable {
    enum Kind: Sendable {
        case chart
        case provenance

        var contentType: String {
            switch self {
            case .chart: "application/gzip"
            case .provenance: "application/pgp-signature"
            }
        }
    }

    let kind: Kind
    let digest: SHA256Digest
    let size: Int64
    /// The strong ETag (the digest), formatted once rather than per request.
    let etag: String
    /// The 200 headers, plain and serialized, when the size is known up front (charts).
    let okHeaders: HTTPFields?
    let okHead: ByteBuffer?

    init(kind: Kind, digest: SHA256Digest, size: Int64) {
        self.kind = kind
        self.digest = digest
        self.size = size
        etag = "\"\(digest.hex)\""
        if size >= 0 {
            let headers: HTTPFields = [.contentType: kind.contentType, .eTag: etag, .contentLength: String(size)]
            okHeaders = headers
            okHead = HelmResponses.serializeHead(.ok, headers)
        } else {
            okHeaders = nil
            okHead = nil
        }
    }
}
