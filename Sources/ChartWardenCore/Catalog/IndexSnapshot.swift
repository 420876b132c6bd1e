import ChartIndex
import NIOCore

/// What GETs read: the rendered index (plain and gzip) with their ETags, and the map of
/// downloadable files. Replaced whole on every change, so a reader never sees half an update and
/// never touches SQLite or renders YAML. ByteBuffers share storage with each response.
package struct IndexSnapshot: Sendable {
    /// One more than the repository's previous snapshot: what derived caches (the server's
    /// serialized response heads, per-chart index fragments) are keyed by.
    package let generation: UInt64
    package let yaml: ByteBuffer
    package let yamlGzip: ByteBuffer
    package let etag: String
    package let gzipETag: String
    package let files: [String: ServedFile]
    /// Quarantined file names and the reason given to anyone who asks for them.
    package let withheld: [String: String]
    /// The entries behind the document, for the list and describe APIs.
    package let index: RepositoryIndex

    package init(generation: UInt64, rendered: RenderedIndex, files: [String: ServedFile], withheld: [String: String],
                 index: RepositoryIndex) {
        self.generation = generation
        yaml = ByteBuffer(bytes: rendered.bytes)
        yamlGzip = ByteBuffer(bytes: rendered.gzipped)
        etag = rendered.etag
        gzipETag = rendered.gzipETag
        self.files = files
        self.withheld = withheld
        self.index = index
    }
}
