import ContentPolicy
import Hummingbird

/// Turns every error into a JSON response with the right status, so no route ever answers with
/// an empty or HTML body. Unexpected errors are logged and answered with a generic 500.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            var headers: HTTPFields = [:]
            if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
            if let violations = error.violations {
                return JSONResponse.make(error.status, ContentRejection(error: error.message, violations: violations))
            }
            if let failedChecks = error.failedChecks {
                return JSONResponse.make(error.status, ProvenanceRejection(error: error.message, failedChecks: failedChecks))
            }
            return JSONResponse.error(error.status, error.message, headers: headers)
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(error.status)
            return JSONResponse.error(error.status, message)
        } catch let error as any HTTPResponseError {
            return JSONResponse.error(error.status, Self.defaultMessage(error.status))
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return JSONResponse.error(.internalServerError, "internal server error")
        }
    }

    struct ProvenanceRejection: Encodable {
        let error: String
        let failedChecks: [String]
    }

    struct ContentRejection: Encodable {
        let error: String
        let violations: [ContentPolicyVerdict.Violation]
    }

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not found"
        case .methodNotAllowed: "method not allowed"
        case .contentTooLarge: "request body too large"
        default: status.reasonPhrase.lowercased()
        }
    }
}
