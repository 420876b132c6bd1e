import ChartWardenCore
import HTTPTypes

/// The one place a domain error code becomes an HTTP status.
extension ServiceError.Code {
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

extension ServiceError {
    var status: HTTPResponse.Status { code.status }
}
