import Foundation
import HTTPTypes
import NIOCore

/// The Helm repository answers (index.yaml and chart files) as pure functions of the in-memory
/// snapshot and the request headers, shared by the router handlers and the event-loop fast path
/// so both answer byte for byte alike.
enum HelmResponses {
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer?
    }

    static func index(_ snapshot: IndexSnapshot, acceptEncoding: String?, ifNoneMatch: String?) -> Answer {
        let gzip = acceptsGzip(acceptEncoding)
        let etag = gzip ? snapshot.gzipETag : snapshot.etag
        var headers: HTTPFields = [
            .contentType: "application/x-yaml",
            .eTag: etag,
            .vary: "Accept-Encoding",
            .cacheControl: "no-cache",
        ]
        if let ifNoneMatch, matches(ifNoneMatch, etag) {
            return Answer(status: .notModified, headers: headers, body: nil)
        }
        let body = gzip ? snapshot.yamlGzip : snapshot.yaml
        if gzip { headers[.contentEncoding] = "gzip" }
        headers[.contentLength] = String(body.readableBytes)
        return Answer(status: .ok, headers: headers, body: body)
    }

    /// Never Content-Encoding: the .tgz is the representation; Helm checks its digest as is.
    static func file(_ file: ServedFile, bytes: ByteBuffer, ifNoneMatch: String?) -> Answer {
        let etag = "\"\(file.digest.hex)\""
        var headers: HTTPFields = [.contentType: file.kind.contentType, .eTag: etag]
        if let ifNoneMatch, matches(ifNoneMatch, etag) {
            return Answer(status: .notModified, headers: headers, body: nil)
        }
        headers[.contentLength] = String(bytes.readableBytes)
        return Answer(status: .ok, headers: headers, body: bytes)
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
