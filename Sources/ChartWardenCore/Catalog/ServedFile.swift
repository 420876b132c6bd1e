import OpenSSLSupport

/// A downloadable file of a repository (`N-V.tgz` or `N-V.tgz.prov`) and the blob behind it.
package struct ServedFile: Sendable {
    package enum Kind: Sendable {
        case chart
        case provenance

        package var contentType: String {
            switch self {
            case .chart: "application/gzip"
            case .provenance: "application/pgp-signature"
            }
        }
    }

    package let kind: Kind
    package let digest: SHA256Digest
    /// -1 when unknown up front (provs).
    package let size: Int64
    /// The strong ETag (the digest), formatted once rather than per request.
    package let etag: String

    package init(kind: Kind, digest: SHA256Digest, size: Int64) {
        self.kind = kind
        self.digest = digest
        self.size = size
        etag = "\"\(digest.hex)\""
    }
}
