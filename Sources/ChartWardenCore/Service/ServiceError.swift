import ContentPolicy

/// A domain error: a stable code and a message for `{"error": ...}`. The core knows no HTTP; the
/// server maps each code to one status (`ServiceError.Code.status` in Server). Anything else
/// that escapes a handler becomes a 500 with a generic message (details go to the log).
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case conflict
        case payloadTooLarge
        case tooManyRequests
        case unavailable
        case internalError
    }

    public let code: Code
    public let message: String
    /// Sent as `Retry-After` (429, and 503 while the database cannot be reached).
    public let retryAfterSeconds: Int?
    /// Provenance checks that failed, sent as `failedChecks` beside `error` (403).
    public let failedChecks: [String]?
    /// Content-policy violations, sent as `violations` beside `error` (403).
    public let violations: [ContentPolicyVerdict.Violation]?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil, failedChecks: [String]? = nil,
                violations: [ContentPolicyVerdict.Violation]? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.failedChecks = failedChecks
        self.violations = violations
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
