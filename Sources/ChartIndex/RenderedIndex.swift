import ChartArchive
import OpenSSLSupport

/// One index document ready to serve: its bytes, their gzip form and a strong ETag, computed once
/// per change so that a GET only picks the variant the client asked for.
public struct RenderedIndex: Sendable {
    public let format: RepositoryIndex.Format
    public let bytes: [UInt8]
    public let gzipped: [UInt8]
    /// A quoted strong validator derived from the content; the gzip variant gets its own.
    public let etag: String
    public let gzipETag: String

    public init(_ index: RepositoryIndex, format: RepositoryIndex.Format, generated: String) {
        self.format = format
        bytes = index.document(format: format, generated: generated)
        gzipped = Gzip.compress(bytes)
        let digest = SHA256Hasher.hash(bytes).hex.prefix(32)
        etag = "\"\(digest)\""
        gzipETag = "\"\(digest)-gzip\""
    }
}
