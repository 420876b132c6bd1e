import Testing
@testable import Server

@Suite("Simple request heads (fast path)")
struct SimpleRequestHeadTests {
    func parse(_ text: String) -> SimpleRequestHead.ParseResult {
        SimpleRequestHead.parse(Array(text.utf8))
    }

    @Test func readsMethodPathAndTheHeadersThatMatter() {
        let text = "GET /stable/index.yaml?x=1 HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n"
            + "If-None-Match: \"abc\"\r\nX-Request-Id: trace-1\r\n\r\nGET /next"
        guard case .request(let head, let length) = parse(text) else {
            Issue.record("expected a simple request")
            return
        }
        #expect(head == SimpleRequestHead(method: .get, path: "/stable/index.yaml", ifNoneMatch: "\"abc\"",
                                          acceptEncoding: "gzip", requestID: "trace-1"))
        #expect(length == text.utf8.count - "GET /next".utf8.count)
        let headRequest = "HEAD /charts/webapp-1.1.1+hotfix.3.tgz HTTP/1.1\r\nhost: a\r\n\r\n"
        #expect(parse(headRequest)
            == .request(.init(method: .head, path: "/charts/webapp-1.1.1+hotfix.3.tgz"), length: headRequest.utf8.count))
    }

    /// OCI pulls name blobs and manifests by `sha256:<hex>`; a `Range` is flagged (the OCI fast
    /// path leaves ranged reads to the router).
    @Test func readsOCIDigestPathsAndFlagsRanges() {
        let path = "/v2/stable/app/blobs/sha256:" + String(repeating: "a", count: 64)
        guard case .request(let head, _) = parse("GET \(path) HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n") else {
            Issue.record("expected a simple request")
            return
        }
        #expect(head.path == path)
        #expect(head.hasRange)
        guard case .request(let plain, _) = parse("HEAD \(path) HTTP/1.1\r\nHost: a\r\n\r\n") else {
            Issue.record("expected a simple request")
            return
        }
        #expect(!plain.hasRange)
    }

    @Test func incompleteHeadsWait() {
        #expect(parse("GET /stable/index.yaml HTTP/1.1\r\nHost: a\r\n") == .incomplete)
        #expect(parse("") == .incomplete)
        #expect(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 9_000)) == .unsupported)
    }

    @Test("anything unusual is handed to the full parser", arguments: [
        "POST /api/stable/charts HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.0\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nAuthorization: Basic eDp5\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nConnection: close\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\nHost: a\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nBad Name: a\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\n: empty\r\n\r\n",
        "GET /stable/%69ndex.yaml HTTP/1.1\r\n\r\n",
        "GET http://a/stable/index.yaml HTTP/1.1\r\n\r\n",
        "GET  /stable/index.yaml HTTP/1.1\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nIf-None-Match: a\r\nIf-None-Match: b\r\n\r\n",
        "GET /stable/index.yaml HTTP/1.1\r\nX: a\rb\r\n\r\n",
    ])
    func unsupported(_ text: String) {
        #expect(parse(text) == .unsupported)
    }
}
