import OpenSSLSupport

/// A downloadable file of a repository (`N-V.tgz` or `N-V.tgz.prov`) and the blob behind it.
struct ServedFile: Sendable, Equatable {
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
}
