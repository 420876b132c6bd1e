import ChartWardenCore
import HTTPTypes
import Hummingbird

/// Console answers: HTML rendered from `ConsoleTemplates`, the stylesheet, redirects, and errors
/// as HTML pages. Every answer carries the same security headers.
enum ConsoleResponse {
    /// No script may run at all (the console has none), styles only from the stylesheet, forms
    /// post only back to the console, and no page can be framed.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    static func securityHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
    }

    /// What every page shows around its body: the title, the navigation and who is signed in.
    struct Document<Body: Sendable>: Sendable {
        struct Link: Sendable {
            let href: String
            let label: String
            let current: Bool
        }

        let title: String
        let actor: String
        let nav: [Link]
        let body: Body
    }

    enum Section: String, CaseIterable {
        case repositories = "Repositories"
        case signers = "Signers"
        case quarantine = "Quarantine"
        case audit = "Audit"

        var href: String { "/console/\(String(describing: self))" }
    }

    static func document<Body: Sendable>(_ title: String, section: Section?, session: ConsoleSession, body: Body) -> Document<Body> {
        Document(title: title, actor: session.actor,
                 nav: Section.allCases.map { .init(href: $0.href, label: $0.rawValue, current: $0 == section) }, body: body)
    }

    static func page(_ template: String, _ document: Document<some Sendable>, status: HTTPResponse.Status = .ok) -> Response {
        guard let html = ConsoleTemplates.library.render(document, withTemplate: template) else {
            // A page that cannot render is a server error, never an empty 200.
            return bytes(.internalServerError, contentType: "text/plain; charset=utf-8",
                         ByteBuffer(string: "the console page \(template) could not be rendered"))
        }
        return bytes(status, contentType: "text/html; charset=utf-8", ByteBuffer(string: html))
    }

    static func stylesheet() -> Response {
        var response = bytes(.ok, contentType: "text/css; charset=utf-8", ByteBuffer(string: ConsoleStylesheet.css))
        response.headers[.cacheControl] = "private, max-age=300"
        return response
    }

    static func redirect(_ location: String) -> Response {
        var response = bytes(.seeOther, contentType: "text/plain; charset=utf-8", ByteBuffer())
        response.headers[.location] = location
        return response
    }

    /// An error as an HTML page; a 401 asks the browser for Basic credentials, 5xx details stay in the log.
    static func error(_ error: ServiceError, session: ConsoleSession?, requestID: String) -> Response {
        let message = error.status.code >= 500 ? ErrorMiddleware.serverErrorMessage(error.status, requestID: requestID)
            : error.message
        let title = error.status.reasonPhrase
        let document = ConsoleResponse.Document(
            title: title, actor: session?.actor ?? "nobody",
            nav: session == nil ? [] : Section.allCases.map { .init(href: $0.href, label: $0.rawValue, current: false) },
            body: ["message": message])
        var response = page("error", document, status: error.status)
        if error.status == .unauthorized { response.headers[.wwwAuthenticate] = "Basic realm=\"chartwarden\"" }
        if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    private static func bytes(_ status: HTTPResponse.Status, contentType: String, _ body: ByteBuffer) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = contentType
        headers[.contentLength] = String(body.readableBytes)
        securityHeaders(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
