import Foundation
import GRDB

/// One row of `oci_manifests`: the exact bytes of a manifest for one chart version, pushed by a
/// client (stored byte for byte: Helm stamps a creation time into them) or generated once for a
/// chart uploaded through the ChartMuseum API. Digests are lowercase SHA-256 hex, like
/// `ChartVersionRecord.digest`. A manifest is served only while its version's row is active
/// and still has `chartDigest` and `provenanceDigest`.
public struct OCIManifestRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oci_manifests"

    public var id: Int64?
    public var repository: String
    public var name: String
    public var version: String
    public var digest: String
    public var mediaType: String
    public var content: Data
    public var configDigest: String
    public var chartDigest: String
    public var provenanceDigest: String?
    /// Made by ChartWarden (a ChartMuseum upload), not pushed by a client.
    public var generated: Bool
    public var created: Date

    public init(id: Int64? = nil, repository: String, name: String, version: String, digest: String, mediaType: String,
                content: Data, configDigest: String, chartDigest: String, provenanceDigest: String?, generated: Bool,
                created: Date) {
        self.id = id
        self.repository = repository
        self.name = name
        self.version = version
        self.digest = digest
        self.mediaType = mediaType
        self.content = content
        self.configDigest = configDigest
        self.chartDigest = chartDigest
        self.provenanceDigest = provenanceDigest
        self.generated = generated
        self.created = created
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// One row of `oci_blob_uploads`: a blob a writer uploaded for a chart, not yet (or never)
/// referenced by an accepted manifest. Only writers of the repository see it; rows older than
/// the staging TTL are swept with their bytes unless a manifest or chart references them.
public struct OCIBlobUploadRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "oci_blob_uploads"

    public var repository: String
    public var name: String
    public var digest: String
    public var size: Int64
    public var uploader: String
    public var uploadedAt: Date
    /// A manifest push that named this blob was refused: it is never served by digest, but the
    /// same push may be sent again (clients retry a 403) and still counts against the quota
    /// until it expires.
    public var refused: Bool

    public init(repository: String, name: String, digest: String, size: Int64, uploader: String, uploadedAt: Date,
                refused: Bool = false) {
        self.refused = refused
        self.repository = repository
        self.name = name
        self.digest = digest
        self.size = size
        self.uploader = uploader
        self.uploadedAt = uploadedAt
    }
}
