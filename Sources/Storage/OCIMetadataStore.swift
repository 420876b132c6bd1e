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
    /// The manifests the chart's active versions serve (whose chart and prov digests are the
    /// version's), oldest first, in one query: what referrers are listed from.
    func servedManifests(repository: String, name: String) throws(StorageError) -> [OCIManifestRecord]
    /// The versions of one chart in `statuses` (its tags), through the (repository, name) index.
    func versions(repository: String, name: String, statuses: Set<ChartStatus>) throws(StorageError) -> [String]
    /// Bounds the manifests of `version` (an active row) after a push joined it: keeps the oldest
    /// one for its bytes (the one its tag names) and the newest `keeping - 1` others; manifests of
    /// other bytes are never served and go too.
    func trimManifests(of version: ChartVersionRecord, keeping: Int) throws(StorageError)
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
