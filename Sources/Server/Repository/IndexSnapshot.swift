import ChartIndex
import NIOCore

/// What GETs read: the rendered index (plain and gzip) with their ETags, and the map of
/// downloadable files. Replaced whole on every change, so a reader never sees half an update and
/// never touches SQLite or renders YAML. ByteBuffers share storage with each response.
struct IndexSnapshot: Sendable {
    let yaml: ByteBuffer
    let yamlGzip: ByteBuffer
    let etag: String
    let gzipETag: String
    let files: [String: ServedFile]
    /// Quarantined file names and the reason given to anyone who asks for them.
    let withheld: [String: String]
    /// The entries behind the document, for the list and describe APIs.
    let index: RepositoryIndex
    /// The two 200 answers, built once per snapshot.
    let plainOK: HelmResponses.Answer
    let gzipOK: HelmResponses.Answer

    init(rendered: RenderedIndex, files: [String: ServedFile], withheld: [String: String], index: RepositoryIndex) {
        yaml = ByteBuffer(bytes: rendered.bytes)
        yamlGzip = ByteBuffer(bytes: rendered.gzipped)
        etag = rendered.etag
        gzipETag = rendered.gzipETag
        self.files = files
        self.withheld = withheld
        self.index = index
        let plainHeaders = HelmResponses.indexOKHeaders(etag: etag, gzip: false, length: yaml.readableBytes)
        let gzipHeaders = HelmResponses.indexOKHeaders(etag: gzipETag, gzip: true, length: yamlGzip.readableBytes)
        plainOK = .init(status: .ok, headers: plainHeaders, body: yaml,
                        serializedHead: HelmResponses.serializeHead(.ok, plainHeaders))
        gzipOK = .init(status: .ok, headers: gzipHeaders, body: yamlGzip,
                       serializedHead: HelmResponses.serializeHead(.ok, gzipHeaders))
    }
}
