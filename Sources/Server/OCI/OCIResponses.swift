import ChartWardenCore
import ContentPolicy
import Foundation
import HTTPTypes
import Hummingbird

/// The OCI API's answers: spec error bodies `{"errors":[{"code","message","detail"}]}` and the
/// one place an `OCIError.Code` becomes a status.
enum OCIResponses {
    static func status(_ error: OCIError) -> HTTPResponse.Status {
        if let override = error.statusOverride { return HTTPResponse.Status(code: override) }
        return switch error.code {
        case .blobUnknown, .blobUploadUnknown, .manifestUnknown, .nameUnknown: .notFound
        case .blobUploadInvalid, .digestInvalid, .manifestBlobUnknown, .manifestInvalid, .nameInvalid, .sizeInvalid: .badRequest
        case .unauthorized: .unauthorized
        case .denied: .forbidden
        case .unsupported: .methodNotAllowed
        case .tooManyRequests: .tooManyRequests
        case .rangeInvalid: .rangeNotSatisfiable
        case .internalError: .internalServerError
        case .unavailable: .serviceUnavailable
        }
    }

    struct Body: Encodable {
        struct Entry: Encodable {
            let code: String
            let message: String
            let detail: Detail?
        }

        let errors: [Entry]
    }

    /// `detail`: the failed provenance checks or the content-policy violations, as in the
    /// ChartMuseum API's 403 bodies.
    struct Detail: Encodable {
        let failedChecks: [String]?
        let violations: [ContentPolicyVerdict.Violation]?
        let reason: String?
    }

    static func error(_ error: OCIError, context: ChartWardenRequestContext) -> Response {
        let status = status(error)
        var headers: HTTPFields = [:]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"chartwarden\"" }
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if status == .contentTooLarge { headers[.connection] = "close" }
        guard status.code < 500 else {
            // Server-side details go to the log, never to the client.
            context.logger.error("request failed", metadata: ["error": "\(error.message)", "status": "\(status.code)"])
            let entry = Body.Entry(code: error.code.rawValue,
                                   message: ErrorMiddleware.serverErrorMessage(status, requestID: context.requestID), detail: nil)
            return JSONResponse.make(status, Body(errors: [entry]), headers: headers)
        }
        let detail: Detail? = switch error.detail {
        case .none: nil
        case .failedChecks(let checks): Detail(failedChecks: checks, violations: nil, reason: nil)
        case .violations(let violations): Detail(failedChecks: nil, violations: violations, reason: nil)
        case .text(let text): Detail(failedChecks: nil, violations: nil, reason: text)
        }
        return JSONResponse.make(status, Body(errors: [Body.Entry(code: error.code.rawValue, message: error.message,
                                                                  detail: detail)]), headers: headers)
    }

    /// A body with the headers every OCI answer about content carries.
    static func content(_ status: HTTPResponse.Status, bytes: ByteBuffer, contentType: String, digest: String?,
                        headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        headers[.contentLength] = String(bytes.readableBytes)
        if let digest { headers[.dockerContentDigest] = digest }
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }

    static func empty(_ status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }
}

extension HTTPField.Name {
    static let dockerContentDigest = Self("Docker-Content-Digest")!
    static let dockerUploadUUID = Self("Docker-Upload-UUID")!
    static let dockerDistributionAPIVersion = Self("Docker-Distribution-API-Version")!
    static let ociChunkMinLength = Self("OCI-Chunk-Min-Length")!
    static let link = Self("Link")!
    static let ociSubject = Self("OCI-Subject")!
    static let ociFiltersApplied = Self("OCI-Filters-Applied")!
}
