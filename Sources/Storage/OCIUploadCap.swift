/// Which bound on uploaded-but-unreferenced blob bytes a new upload would pass
/// (`OCIMetadataStore.recordBlobUpload(_:maxUploaderBytes:maxRepositoryBytes:)`).
public enum OCIUploadCap: Sendable, Equatable {
    /// The uploader's bytes, across every repository.
    case uploader(held: Int64, limit: Int64)
    /// The repository's bytes, from every uploader.
    case repository(held: Int64, limit: Int64)
}
