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
    /// Records the upload like `recordBlobUpload(_:)` unless the uploader's bytes of upload rows
    /// (every repository) or the repository's would then pass their limit; returns that cap
    /// instead. Checked and written in one transaction; a row for the same blob is not counted twice.
    func recordBlobUpload(_ record: OCIBlobUploadRecord, maxUploaderBytes: Int64, maxRepositoryBytes: Int64)
        throws(StorageError) -> OCIUploadCap?
    func blobUpload(repository: String, name: String, digest: String) throws(StorageError) -> OCIBlobUploadRecord?
    /// A push that named `digests` under the chart was decided: published (or unchanged), their
    /// upload rows go (the version serves them now); refused, the rows are marked `refused`,
    /// never served by digest again, and expire as pending uploads do.
    func settleBlobUploads(repository: String, name: String, digests: [String], refused: Bool) throws(StorageError)
    /// Whether readers of the repository may fetch `digest` under `name`: the chart, prov or
    /// config of an active version of that chart.
    func isBlobServed(repository: String, name: String, digest: String) throws(StorageError) -> Bool
    /// Forgets the blobs uploaded to `repository` before `uploadedBefore` and returns their
    /// digests; the caller reclaims the bytes that nothing else references.
    func expireBlobUploads(repository: String, uploadedBefore: Date) throws(StorageError) -> [String]
}
