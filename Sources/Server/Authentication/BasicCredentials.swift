import Foundation

/// `Authorization: Basic base64(user:password)` (RFC 7617). Anything else in the header is an
/// authentication failure, never silently anonymous.
struct BasicCredentials: Sendable, Equatable {
    let user: String
    let password: String

    init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    init(authorization: String) throws(AuthenticationFailure) {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw AuthenticationFailure(.malformed, "only Basic and Bearer authorization are supported")
        }
        guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":") else {
            throw AuthenticationFailure(.malformed, "malformed Basic credentials")
        }
        let user = String(decoded[..<colon])
        guard !user.isEmpty, user.utf8.count <= 256 else {
            throw AuthenticationFailure(.malformed, "malformed Basic credentials")
        }
        self.user = user
        password = String(decoded[decoded.index(after: colon)...])
    }
}

/// Why a credential was not accepted; becomes a 401 (or 429) and an audit event.
struct AuthenticationFailure: Error, Sendable, Equatable {
    enum Reason: String, Sendable {
        case malformed
        case unknownUser = "unknown-user"
        case wrongPassword = "wrong-password"
        case notConfigured = "password-auth-not-configured"
        case tokenMalformed = "token-malformed"
        case tokenUnknown = "token-unknown"
        case tokenRevoked = "token-revoked"
        case tokenExpired = "token-expired"
        /// OIDC refusals carry `OIDCVerdict.Refusal`'s reason.
        case oidc
    }

    let reason: Reason
    let message: String
    /// The audited reason, when finer than `reason` (OIDC).
    let detail: String?

    init(_ reason: Reason, _ message: String, detail: String? = nil) {
        self.reason = reason
        self.message = message
        self.detail = detail
    }
}
