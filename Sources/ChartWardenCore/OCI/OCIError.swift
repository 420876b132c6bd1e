import ContentPolicy

/// An error of the OCI distribution API: one of the spec's codes, a message, and a detail
/// (failed provenance checks, content-policy violations). The server maps the code to a status
/// and writes `{"errors":[{"code","message","detail"}]}` (`Server/OCI/OCIResponses`).
public struct OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The distribution-spec error codes ChartWarden answers with.
    public enum Code: String, Sendable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case tooManyRequests = "TOOMANYREQUESTS"
        /// Not in the spec's table, but CNCF Distribution's code for a 416: a `Range` or
        /// `Content-Range` that cannot be served or does not fit the upload.
        case rangeInvalid = "RANGE_INVALID"
        /// Not a spec code: a failure inside the server (the body never carries its details).
        case internalError = "INTERNAL_ERROR"
        /// Not a spec code: the server is shutting down, or its database cannot be reached (503).
        case unavailable = "UNAVAILABLE"
    }

    /// What `detail` carries: nothing, the failed provenance checks, or content-policy violations.
    public enum Detail: Sendable, Equatable {
        case none
        case failedChecks([String])
        case violations([ContentPolicyVerdict.Violation])
        case text(String)
    }

    public let code: Code
    public let message: String
    public let detail: Detail
    /// Sent as `Retry-After` (TOOMANYREQUESTS, UNAVAILABLE).
    public let retryAfterSeconds: Int?
    /// A status other than the code's usual one (413 for a blob over `maxUploadBytes`, 409 for
    /// a version that exists with other bytes).
    public let statusOverride: Int?

    public init(_ code: Code, _ message: String, detail: Detail = .none, retryAfterSeconds: Int? = nil,
                statusOverride: Int? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
        self.statusOverride = statusOverride
    }

    /// The OCI form of a domain error. `notFound` is the repository's: a caller who may not read
    /// it gets the same answer as for one that does not exist.
    public init(_ error: ServiceError, context: Code = .manifestInvalid) {
        let detail: Detail = if let checks = error.failedChecks {
            .failedChecks(checks)
        } else if let violations = error.violations {
            .violations(violations)
        } else {
            .none
        }
        switch error.code {
        case .badRequest: self.init(context, error.message, detail: detail)
        case .unauthorized: self.init(.unauthorized, error.message)
        case .forbidden: self.init(.denied, error.message, detail: detail)
        case .notFound: self.init(.nameUnknown, "repository name not known to registry")
        case .conflict: self.init(.denied, error.message, statusOverride: 409)
        case .payloadTooLarge: self.init(.sizeInvalid, error.message, statusOverride: 413)
        case .tooManyRequests: self.init(.tooManyRequests, error.message, retryAfterSeconds: error.retryAfterSeconds)
        case .unavailable: self.init(.unavailable, error.message, retryAfterSeconds: error.retryAfterSeconds)
        case .internalError: self.init(.internalError, error.message)
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
