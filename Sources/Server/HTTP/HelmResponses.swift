import ChartIndex
import ChartWardenCore
import Foundation
import HTTPTypes
import NIOCore

/// The Helm repository answers (index.yaml and chart files) as pure functions of the in-memory
/// snapshot and the request headers, shared by the router handlers and the event-loop fast path
/// so both answer byte for byte alike.
enum HelmResponses {
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        /// Written in order, these are the body: one buffer for a file or a gzip index, the chain
        /// of per-chart buffers for an index (never joined). Empty when there is no body.
        private(set) var body: [ByteBuffer]
        /// The sum of `body`'s readable bytes, counted once.
        private(set) var bodyLength: Int
        /// Status line and headers already serialized (for 200s, made once per snapshot or
        /// file), so the fast path writes them without formatting anything.
        var serializedHead: ByteBuffer?

        init(status: HTTPResponse.Status, headers: HTTPFields, body: [ByteBuffer] = [], serializedHead: ByteBuffer? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            bodyLength = body.reduce(0) { $0 + $1.readableBytes }
            self.serializedHead = serializedHead
        }

        mutating func setBody(_ buffer: ByteBuffer) {
            body = [buffer]
            bodyLength = buffer.readableBytes
        }
    }

    /// `HTTP/1.1 STATUS REASON` and the header lines, without the final empty line.
    static func serializeHead(_ status: HTTPResponse.Status, _ headers: HTTPFields) -> ByteBuffer {
        var bytes = ByteBuffer()
        bytes.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for field in headers { bytes.writeString("\(field.name.rawName): \(field.value)\r\n") }
        return bytes
    }

    /// The 200 answer's headers and their serialized form, for precomputing.
    static func indexOKHeaders(_ served: ServedIndex, gzip: Bool, length: Int) -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: served.contentType,
            .eTag: gzip ? served.gzipETag : served.etag,
            .vary: "Accept-Encoding",
            .cacheControl: "no-cache",
        ]
        if gzip { headers[.contentEncoding] = "gzip" }
        headers[.contentLength] = String(length)
        return headers
    }

    static func fileOKHeaders(_ file: ServedFile, length: Int) -> HTTPFields {
        [.contentType: file.kind.contentType, .eTag: file.etag, .contentLength: String(length)]
    }

    /// The index answer; nil when the client takes gzip and this generation's gzip form is not
    /// built yet: build it off the event loop (`Catalog.gzippedIndex`), then ask again.
    static func index(_ snapshot: IndexSnapshot, of repository: String, answers: HelmAnswerCache, acceptEncoding: String?,
                      ifNoneMatch: String?) -> Answer? {
        let gzip = acceptsGzip(acceptEncoding)
        let served = snapshot.served
        let etag = gzip ? served.gzipETag : served.etag
        if let ifNoneMatch, matches(ifNoneMatch, etag) {
            let headers: HTTPFields = [
                .contentType: served.contentType, .eTag: etag, .vary: "Accept-Encoding", .cacheControl: "no-cache",
            ]
            return Answer(status: .notModified, headers: headers)
        }
        return answers.indexOK(snapshot, repository: repository, gzip: gzip)
    }

    /// Never Content-Encoding: the .tgz is the representation; Helm checks its digest as is.
    static func file(_ file: ServedFile, bytes: ByteBuffer, ok: Answer?, ifNoneMatch: String?) -> Answer {
        if let ifNoneMatch, matches(ifNoneMatch, file.etag) {
            return Answer(status: .notModified, headers: [.contentType: file.kind.contentType, .eTag: file.etag])
        }
        if var ok, Int64(bytes.readableBytes) == file.size {
            ok.setBody(bytes)
            return ok
        }
        return Answer(status: .ok, headers: fileOKHeaders(file, length: bytes.readableBytes), body: [bytes])
    }

    static func isServedFileName(_ name: String) -> Bool {
        name.hasSuffix(".tgz") || name.hasSuffix(".tgz.prov")
    }

    /// True when `Accept-Encoding` lists gzip with a non-zero quality.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "gzip" || parts.first == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// `If-None-Match` against a strong ETag: a list of tags or `*`.
    static func matches(_ condition: String, _ etag: String) -> Bool {
        condition.split(separator: ",").contains { item in
            let tag = item.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
