import ChartWardenCore
import ContentPolicy
import Hummingbird

/// Turns every error into a JSON response with the right status, so no route ever answers with
/// an empty or HTML body. Every 5xx is logged with its detail and answered with a generic message
/// naming the request id.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ChartWardenRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError where error.status.code >= 500 {
            // Server-side details (paths, SQLite and OS errors) go to the log, never to the client.
            context.logger.error("request failed", metadata: ["error": "\(error.message)", "status": "\(error.status.code)"])
            // A 503 of an unreachable database says when to come back (`Retry-After`), still without details.
            var headers: HTTPFields = [:]
            if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
            return JSONResponse.error(error.status, Self.serverErrorMessage(error.status, requestID: context.requestID),
                                      headers: headers)
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
            // A 5xx body may carry whatever failed inside (paths, errno texts): log it, send the generic message.
            guard error.status.code < 500 else {
                context.logger.error("request failed", metadata: ["error": "\(error.body ?? "")", "status": "\(error.status.code)"])
                return JSONResponse.error(error.status, Self.serverErrorMessage(error.status, requestID: context.requestID))
            }
            return JSONResponse.error(error.status, error.body ?? Self.defaultMessage(error.status))
        } catch let error as any HTTPResponseError {
            return JSONResponse.error(error.status, Self.defaultMessage(error.status))
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return JSONResponse.error(.internalServerError, Self.serverErrorMessage(.internalServerError,
                                                                                    requestID: context.requestID))
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

    /// The whole body of a 5xx: what kind of failure and the request id to find it in the log.
    static func serverErrorMessage(_ status: HTTPResponse.Status, requestID: String) -> String {
        "\(status.reasonPhrase.lowercased()) (request id \(requestID))"
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
