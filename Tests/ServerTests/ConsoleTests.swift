import ChartWardenCore
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Mustache
import NIOCore
@testable import Server
import Storage
import Testing

/// The console's pure parts (CSRF tokens, escaping, forms, templates) and its routes through the
/// real router: who may see it, what every answer carries, and forms without their token.
@Suite("Admin console")
struct ConsoleTests {
    static let hostile = "<script>alert(1)</script>"

    // MARK: CSRF tokens

    @Test func tokensAreBoundToThePrincipalTheActionAndTheSecret() {
        let tokens = ConsoleCSRF(secret: Array(repeating: 7, count: 32))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let action = "/console/signers/trust"
        let token = tokens.token(for: "user:admin", action: action, now: now)
        #expect(token.hasPrefix("1800000000.") && token.split(separator: ".")[1].allSatisfy(\.isHexDigit))
        #expect(tokens.isValid(token, for: "user:admin", action: action, now: now))
        #expect(!tokens.isValid(token, for: "user:other", action: action, now: now), "another principal's token")
        #expect(!tokens.isValid(token, for: "user:admin", action: "/console/signers/\(String(repeating: "A", count: 40))/distrust",
                                now: now), "a token for another form")
        #expect(!ConsoleCSRF(secret: Array(repeating: 8, count: 32)).isValid(token, for: "user:admin", action: action, now: now))
        #expect(!tokens.isValid(nil, for: "user:admin", action: action, now: now))
        #expect(!tokens.isValid("", for: "user:admin", action: action, now: now))
        #expect(!tokens.isValid(String(token.dropLast()), for: "user:admin", action: action, now: now))
        #expect(!tokens.isValid(String(token.dropLast()) + (token.last == "0" ? "1" : "0"), for: "user:admin", action: action, now: now))
        // A token expires: a leaked one is short-lived; its issue time cannot be moved without its MAC.
        #expect(tokens.isValid(token, for: "user:admin", action: action, now: now + ConsoleCSRF.lifetime - 1))
        #expect(!tokens.isValid(token, for: "user:admin", action: action, now: now + ConsoleCSRF.lifetime + 1), "expired")
        let moved = "1800009999." + token.split(separator: ".")[1]
        #expect(!tokens.isValid(moved, for: "user:admin", action: action, now: now + 10_000))
    }

    @Test func previewNoncesBindTheExactSetOfCharts() {
        let tokens = ConsoleCSRF(secret: Array(repeating: 7, count: 32))
        let action = "/console/signers/\(String(repeating: "A", count: 40))/distrust"
        let nonce = tokens.previewNonce(for: "user:admin", action: action, subject: ["signed", "quarantine", "3"])
        #expect(tokens.isValidPreview(nonce, for: "user:admin", action: action, subject: ["signed", "quarantine", "3"]))
        #expect(!tokens.isValidPreview(nonce, for: "user:admin", action: action, subject: ["signed", "quarantine", "3,4"]))
        #expect(!tokens.isValidPreview(nonce, for: "user:admin", action: action, subject: ["stable", "quarantine", "3"]))
        #expect(!tokens.isValid(nonce, for: "user:admin", action: action), "a nonce is not a CSRF token")
        // Parts are length-prefixed: moving a boundary changes the MAC.
        #expect(!tokens.isValidPreview(nonce, for: "user:admin", action: action, subject: ["signedquarantine", "", "3"]))
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined()
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // RFC 4231 test case 6: a key longer than the block is hashed first.
        let long = HMACSHA256.authenticate(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                                           key: Array(repeating: 0xAA, count: 131))
        #expect(long.map { String(format: "%02x", $0) }.joined()
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    // MARK: forms

    @Test func urlEncodedForms() throws {
        let form = try ConsoleForm.parse(Array("csrf=ab%2Fc&repo=st+able&quarantine=true&empty".utf8),
                                         contentType: "application/x-www-form-urlencoded; charset=utf-8")
        #expect(form["csrf"] == "ab/c" && form["repo"] == "st able" && form["empty"] == "")
        #expect(form.isSet("quarantine") && !form.isSet("confirm") && !form.isSet("empty"))
        // A field given twice (an injected form adopting the page's inputs) is refused.
        #expect(throws: ServiceError.self) {
            try ConsoleForm.parse(Array("repo=signed&csrf=x&repo=stable".utf8), contentType: "application/x-www-form-urlencoded")
        }
        #expect(throws: ServiceError.self) {
            try ConsoleForm.parse(Array("repo=signed&Repo=x&repo%3D=y&r%65po=stable".utf8), contentType: "application/x-www-form-urlencoded")
        }
        #expect(throws: ServiceError.self) { try ConsoleForm.parse([], contentType: "application/json") }
    }

    @Test func multipartForms() throws {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
            + "--XX\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"r.asc\"\r\n\r\n-----BEGIN\r\n--XX--\r\n"
        let form = try ConsoleForm.parse(Array(body.utf8), contentType: "multipart/form-data; boundary=XX")
        #expect(form["csrf"] == "tok" && form.files["certificate"] == Array("-----BEGIN".utf8))
        let twice = body.replacingOccurrences(of: "--XX--", with: "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nother\r\n--XX--")
        #expect(throws: ServiceError.self) { try ConsoleForm.parse(Array(twice.utf8), contentType: "multipart/form-data; boundary=XX") }
    }

    // MARK: templates and escaping

    @Test func templatesNeverWriteUnescapedValues() {
        for (name, source) in ConsoleTemplates.sources {
            #expect(!source.contains("{{{") && !source.contains("{{&"), "\(name) writes a value unescaped")
            #expect(ConsoleTemplates.library.getTemplate(named: name) != nil, "\(name) does not compile")
        }
        #expect(!ConsoleTemplates.sources.values.joined().lowercased().contains("<script"), "the console ships no script")
    }

    /// Special characters joined to a Prepend (U+0600) or combining (U+0301) scalar form one
    /// grapheme cluster that swift-mustache's own escaping writes raw.
    static let clusterPayloads = ["\u{600}<x\u{600}>", "\"\u{301} onfocus=y", "\u{600}&x", "'\u{301}", "\u{600}\"z"]

    @Test func escapingWorksOnUnicodeScalarsNotGraphemeClusters() {
        #expect(ConsoleHTML.escape("\u{600}<x\u{600}>") == "\u{600}&lt;x\u{600}&gt;")
        #expect(ConsoleHTML.escape("\"\u{301}'\u{301}\u{600}&") == "&quot;\u{301}&#39;\u{301}\u{600}&amp;")
        #expect(ConsoleHTML.escape("plain é") == "plain é")
    }

    /// Every template, every variable (a context answering every name with the payload), in
    /// partials too: no `<`, `>`, `"`, `'` or `&` byte of a value reaches the page.
    @Test func everyTemplateEscapesGraphemeClusterPayloadsInEveryField() throws {
        struct Everything: MustacheParent, MustacheCustomRenderable {
            let payload: String
            func child(named: String) -> Any? { self }
            var renderText: String { payload }
            var isNull: Bool { false }
        }
        for payload in Self.clusterPayloads {
            for name in ConsoleTemplates.sources.keys {
                let html = try #require(ConsoleTemplates.library.render(Everything(payload: payload), withTemplate: name))
                let escaped = ConsoleHTML.escape(payload)
                #expect(name == "footer" || html.contains(escaped), "\(name) shows the value")
                let bytes = Array(html.utf8)
                for raw in ["\u{600}<", "\u{600}>", "\"\u{301}", "'\u{301}", "\u{600}&x", "\u{600}\""] {
                    let needle = Array(raw.utf8)
                    let found = bytes.indices.dropLast(needle.count - 1).contains { Array(bytes[$0 ..< $0 + needle.count]) == needle }
                    #expect(!found, "\(name) writes \(raw.unicodeScalars.map { String($0.value, radix: 16) }) raw")
                }
            }
        }
    }

    /// A chart whose description, annotation and maintainer name hold markup: shown as text.
    @Test func hostileChartMetadataIsEscaped() throws {
        let metadata = """
        {"apiVersion":"v2","name":"evil","version":"1.0.0","description":"\(Self.hostile)",
         "annotations":{"note":"\(Self.hostile)","<b>key</b>":"x"},"maintainers":[{"name":"\(Self.hostile)"}]}
        """
        let record = ChartVersionRecord(id: 1, repository: "team", name: "evil\"><img src=x>", version: "1.0.0", digest: "00",
                                        size: 1, created: Date(), uploader: "user:<i>writer</i>", status: .active,
                                        metadata: metadata)
        let page = ConsoleViews.RepositoriesPage(query: "\"><script>", searching: true, repositories: [
            .init(label: "team", charts: [.init(name: record.name, versions: [
                ConsoleViews.version(ChartStanding(chart: record, provenance: nil, content: nil)),
            ])], hasCharts: true, more: nil),
        ])
        let session = ConsoleSession(principals: [.user("admin")])
        let html = try #require(ConsoleTemplates.library.render(
            ConsoleResponse.document("Repositories", section: .repositories, session: session, body: page),
            withTemplate: "repositories"))
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>") && !html.contains("<i>"))
        #expect(html.components(separatedBy: "&lt;script&gt;alert(1)&lt;/script&gt;").count - 1 == 3,
                "description, annotation and maintainer shown escaped")
        #expect(html.contains("evil&quot;&gt;&lt;img src=x&gt;"))
        #expect(html.contains("value=\"&quot;&gt;&lt;script&gt;\""), "the search box value cannot leave its attribute")
    }

    @Test func pathSegmentsArePercentEncoded() {
        #expect(ConsoleViews.segment("1.0.0+build/../x") == "1.0.0+build%2F..%2Fx", "+ stays: the router does not decode")
        #expect(ConsoleViews.segment("ü?#") == "%C3%BC%3F%23")
        #expect(ConsoleViews.restoreAction(repository: "", name: "plus", version: "1.0.0+build.7")
                == "/console/quarantine/_/plus/1.0.0+build.7/restore")
        #expect(ConsoleViews.pathName("") == "_")
    }

    @Test func refusalsAreExplainedInWords() throws {
        let detail = try AuditDetail(["failedChecks": ["trusted-signer"], "reasons": ["ABC is not trusted for this repository"]])
        let event = AuditEvent(at: Date(), repository: "r", actor: "user:w", action: .upload, outcome: .rejected,
                               subject: "x-1", detail: detail)
        #expect(AuditExplanation.sentences(event)
                == ["Refused: provenance check trusted-signer failed: ABC is not trusted for this repository"])
        let quarantined = AuditEvent(at: Date(), repository: "r", actor: "a", action: .quarantine, outcome: .quarantined,
                                     detail: try AuditDetail(["signer": "F00", "failedChecks": "revocation,key-validity"]))
        #expect(AuditExplanation.sentences(quarantined) == [
            "provenance check revocation failed", "provenance check key-validity failed", "signer F00"])
    }

    // MARK: routes

    func run(_ harness: RouterHarness, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: harness.router)
        try await app.test(.router, body)
    }

    @Test func onlyAdminsSeeTheConsoleAndEveryAnswerCarriesTheSecurityHeaders() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let pages = ["/console/repositories", "/console/signers", "/console/quarantine", "/console/audit",
                     "/console/style.css", "/console/repositories?q=redis", "/console/audit?action=upload&outcome=rejected"]
        try await run(harness) { client in
            for page in pages {
                for (user, status) in [(nil, HTTPResponse.Status.unauthorized), ("reader", .forbidden), ("writer", .forbidden),
                                       ("admin", .ok)] as [(String?, HTTPResponse.Status)] {
                    try await client.execute(uri: page, method: .get, headers: RouterHarness.headers(user)) { response in
                        #expect(response.status == status, "\(page) as \(user ?? "anonymous")")
                        #expect(response.headers[.contentSecurityPolicy] == ConsoleResponse.contentSecurityPolicy)
                        #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                        #expect(response.headers[.xContentTypeOptions] == "nosniff")
                        if status == .unauthorized { #expect(response.headers[.wwwAuthenticate] != nil) }
                    }
                }
            }
            try await client.execute(uri: "/console", method: .get, headers: RouterHarness.headers("admin")) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/console/repositories")
            }
        }
    }

    @Test func formsWithoutTheirTokenAreRefused() async throws {
        let harness = try await RouterHarness()
        defer { harness.remove() }
        let fingerprint = String(repeating: "A", count: 40)
        let admin = ConsoleSession(principals: [.user("admin")])
        let posts = ["/console/signers/\(fingerprint)/distrust", "/console/signers/\(fingerprint)/revocation",
                     "/console/signers/trust", "/console/quarantine/team/redis-lite/0.8.1/restore"]
        try await run(harness) { client in
            for path in posts {
                for body in ["repo=team", "csrf=\(String(repeating: "0", count: 64))&repo=team",
                             "csrf=\(ConsoleSession(principals: [.user("reader")]).csrf(path))&repo=team",
                             "csrf=\(admin.csrf(path + "/other"))&repo=team"] {
                    var headers = RouterHarness.headers("admin")
                    headers[.contentType] = "application/x-www-form-urlencoded"
                    try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                        #expect(response.status == .forbidden, "\(path) \(body)")
                        #expect(String(buffer: response.body).contains("CSRF token"))
                    }
                }
            }
            // With the admin's token the form gets past the check (and fails on what it asks for).
            var headers = RouterHarness.headers("admin")
            headers[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/console/quarantine/team/redis-lite/0.8.1/restore", method: .post, headers: headers,
                                     body: ByteBuffer(string: "csrf=\(admin.csrf("/console/quarantine/team/redis-lite/0.8.1/restore"))")) { response in
                #expect(response.status == .notFound, "\(String(buffer: response.body))")
            }
            // The same valid form sent by a page of another site (the browser says so) is refused.
            headers[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            try await client.execute(uri: "/console/quarantine/team/redis-lite/0.8.1/restore", method: .post, headers: headers,
                                     body: ByteBuffer(string: "csrf=\(admin.csrf("/console/quarantine/team/redis-lite/0.8.1/restore"))")) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("from the console itself"))
            }
        }
    }
}
