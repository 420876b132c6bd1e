import Foundation

/// What the OCI front door stores beside chart rows: manifests (tags are chart versions, so a
/// tag is the newest manifest of an active version) and uploaded blobs. Part of `MetadataStore`
/// so a PostgreSQL store implements it with the rest.
public protocol OCIMetadataStore: Sendable {
    /// Inserts a manifest; the same (repository, name, digest) again returns the stored row.
    func insertManifest(_ record: OCIManifestRecord) throws(StorageError) -> OCIManifestRecord
    /// The manifests of one version, newest first.
    func manifests(repository: String, name: String, version: String) throws(StorageError) -> [OCIManifestRecord]
    func manifest(repository: String, name: String, digest: String) throws(StorageError) -> OCIManifestRecord?
    /// Records (or refreshes the time of) a blob uploaded for a chart.
    func recordBlobUpload(_ record: OCIBlobUploadRecord) throws(StorageError)
    func blobUpload(repository: String, name: String, digest: String) throws(StorageError) -> OCIBlobUploadRecord?
    /// Whether readers of the repository may fetch `digest` under `name`: the chart, prov or
    /// config of an active version of that chart.
    func isBlobServed(repository: String, name: String, digest: String) throws(StorageError) -> Bool
    /// Forgets the blobs uploaded to `repository` before `uploadedBefore` and returns their
    /// digests; the caller reclaims the bytes that nothing else references.
    func expireBlobUploads(repository: String, uploadedBefore: Date) throws(StorageError) -> [String]
}
