import ChartArchive
import NIOCore
import Synchronization

/// One generation of a repository's index, ready to write: a chain of buffers (header, one per
/// chart, `generated` line) shared with the index and with every response, never joined into one
/// array per change. The gzip form is built on the first request that asks for it, once per
/// generation (Helm never asks for it).
public struct ServedIndex: Sendable {
    public let format: RepositoryIndex.Format
    public let generation: IndexGeneration
    /// Write these in order; together they are the document.
    public let chunks: [ByteBuffer]
    /// The sum of the chunks' readable bytes: the `Content-Length`.
    public let contentLength: Int
    public let etag: String
    public let gzipETag: String
    private let gzipCache: GzipCache

    /// What the body is. Helm fetches `index.yaml` and reads either (3.13+), whatever the type says.
    public var contentType: String {
        format == .json ? "application/json" : "application/x-yaml"
    }

    init(format: RepositoryIndex.Format, generation: IndexGeneration, chunks: [ByteBuffer]) {
        self.format = format
        self.generation = generation
        self.chunks = chunks
        contentLength = chunks.reduce(0) { $0 + $1.readableBytes }
        etag = generation.etag(format: format, gzip: false)
        gzipETag = generation.etag(format: format, gzip: true)
        gzipCache = GzipCache()
    }

    /// The document as one array: for the CLI, tests and gzip, never for serving.
    public func joined() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(contentLength)
        for chunk in chunks { out.append(contentsOf: chunk.readableBytesView) }
        return out
    }

    /// The gzip form, compressed on the first call for this generation and then shared. Blocking
    /// (it compresses the whole document): call it off the event loops.
    public func gzipped() -> ByteBuffer {
        gzipCache.state.withLock { cached in
            if let cached { return cached }
            let compressed = ByteBuffer(bytes: Gzip.compress(joined()))
            cached = compressed
            return compressed
        }
    }

    /// True once `gzipped()` has run for this generation.
    public var isGzipBuilt: Bool { gzipCache.state.withLock { $0 != nil } }

    private final class GzipCache: Sendable {
        let state = Mutex<ByteBuffer?>(nil)
    }
}
