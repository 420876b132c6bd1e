import ChartArchive
import Storage

/// Everything that blocks: the metadata store, the blob store and its publisher, the archive
/// reader and the GnuPG trust store. Held only by `BlockingWork<Stores>`, so reached only on the
/// thread pool.
package struct Stores: Sendable {
    package let metadata: any MetadataStore
    package let blobs: any BlobStore
    package let publisher: ChartPublisher
    package let archiveReader: ChartArchiveReader
    package let trust: TrustStore

    package init(metadata: any MetadataStore, blobs: any BlobStore, archiveReader: ChartArchiveReader, trust: TrustStore) {
        self.metadata = metadata
        self.blobs = blobs
        publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        self.archiveReader = archiveReader
        self.trust = trust
    }
}
