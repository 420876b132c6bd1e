import ContentPolicy
import Hummingbird

/// An error a handler returns to the client: a code that maps to one HTTP status and a message
/// that goes into `{"error": ...}`. Anything else that escapes a handler becomes a 500 with a
/// generic message (details go to the log, not to the client).
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

        var status: HTTPResponse.Status {
            switch self {
            case .badRequest: .badRequest
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .payloadTooLarge: .contentTooLarge
            case .tooManyRequests: .tooManyRequests
            case .unavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        }
    }

    public let code: Code
    public let message: String
    /// Sent as `Retry-After` (429).
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

    public var status: HTTPResponse.Status { code.status }
    public var description: String { "\(code.rawValue): \(message)" }
}
