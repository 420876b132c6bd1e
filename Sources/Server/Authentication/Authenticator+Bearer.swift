import ChartWardenCore
import Foundation
import Storage

/// API tokens (README, "API tokens"): presented as `Authorization: Bearer <token>` or as the
/// Basic password of user `token`, so Helm's `--password` and curl's `-u` can carry them.
extension Authenticator {
    /// The Basic user name that says "the password is an API token".
    static let tokenUser = CredentialStore.reservedUser

    /// The credential of a `Bearer` header; nil for other schemes.
    static func bearerToken(_ authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Checks a token: one lookup by its public id and one SHA-256, never a password hash. An
    /// address past its bearer failure limit is answered 429 first, before any store lookup or
    /// signature check and without an audit row (review F13), unless the credential's public
    /// handle proved valid recently (`KnownGoodBearers`): a flood costs neither reads nor audit
    /// writes, and cannot lock the working jobs behind the same address out.
    func authenticateToken(_ text: String, client: String, repository: String?) async throws(ServiceError)
        -> AuthenticatedCaller {
        let handle = KnownGoodBearers.handle(of: text)
        if !(handle.map { handle in knownGoodBearers.withLock { $0.contains(handle) } } ?? false) {
            try refuseIfBearerLimited(client)
        }
        if let oidc, !APITokenCredential.looksLikeToken(text), JWTSegments.looksLikeJWT(text) {
            return try await authenticateWorkload(text, oidc: oidc, client: client, repository: repository, handle: handle)
        }
        let verdict = try await tokens.verify(text)
        let refusal: APITokenVerdict.Refusal
        switch verdict {
        case .valid(let name, let scope):
            try refuseUnlessNamed(.token(name), client: client)
            if let handle { knownGoodBearers.withLock { $0.remember(handle) } }
            metrics.authentication(outcome: "token")
            return .token(name: name, scope: scope)
        case .refused(let why):
            refusal = why
        }
        try refuseIfBearerLimited(client)
        let reason: AuthenticationFailure.Reason = switch refusal {
        case .malformed: .tokenMalformed
        case .unknown: .tokenUnknown
        case .revoked: .tokenRevoked
        case .expired: .tokenExpired
        }
        try await reject(AuthenticationFailure(reason, refusal.message), user: nil, client: client, repository: repository,
                         bearer: true, token: APITokenCredential(text)?.id)
    }

    /// A proved token or workload whose principal no grant, admin list or group names could do
    /// nothing anonymous cannot: refused at once (401), counted in the bearer bucket and the
    /// `chartwarden_auth_attempts_total{outcome="unnamed_principal"}` metric, never audited, so
    /// an issuer minting fresh identities (a public CI platform) cannot grow the audit log.
    private func refuseUnlessNamed(_ principal: Principal, client: String) throws(ServiceError) {
        guard let named = namedPrincipals, !named.contains(principal) else { return }
        metrics.authentication(outcome: "unnamed_principal")
        let evicted = bearerLimiter.withLock { limiter in
            _ = limiter.recordFailure(address: client, user: nil, now: .now)
            return limiter.takeEvictions()
        }
        metrics.evicted(evicted, from: "bearer_failure_limiter")
        throw ServiceError(.unauthorized, "\(principal) is not granted anything")
    }

    /// Past the bearer failure limit of `client`: 429, without an audit row.
    private func refuseIfBearerLimited(_ client: String) throws(ServiceError) {
        if let wait = bearerLimiter.withLock({ $0.retryAfter(address: client, user: nil, now: .now) }) {
            metrics.authentication(outcome: "rate_limited")
            throw ServiceError(.tooManyRequests, "too many failed authentications; retry later", retryAfterSeconds: wait)
        }
    }

    /// An OIDC workload token (README, "OIDC workload identity"). Refusals count like failed API
    /// tokens, never as password guesses; an accepted workload is audited as a login by its
    /// subject once per hour (`OIDCLoginMemory`), whatever the number of its tokens.
    private func authenticateWorkload(_ text: String, oidc: OIDCVerifier, client: String, repository: String?,
                                      handle: String?) async throws(ServiceError) -> AuthenticatedCaller {
        switch await oidc.verify(text) {
        case .valid(let identity):
            try refuseUnlessNamed(identity.principal, client: client)
            if let handle { knownGoodBearers.withLock { $0.remember(handle) } }
            metrics.authentication(outcome: "oidc")
            let now = Date()
            let login = OIDCLoginMemory.Login(issuer: identity.issuer, subject: identity.subject,
                                              principal: identity.principal.description)
            if oidcLogins.withLock({ $0.firstUse(of: login, now: now) }) {
                do {
                    try await audit.append([AuditEvent(
                        at: now, repository: repository, actor: identity.principal.description, action: .authenticate,
                        outcome: .accepted, subject: identity.subject,
                        detail: try AuditDetail(AuditDetails.WorkloadLogin(
                            issuer: identity.issuer, subject: identity.subject, principal: identity.principal.description,
                            expiresAt: identity.expiresAt, address: client)))])
                } catch {
                    // A login that cannot be audited is refused: the audit log is never skipped.
                    oidcLogins.withLock { $0.forget(login) }
                    throw ServiceError(.internalError, "the audit log could not be written", cause: error)
                }
            }
            return .workload(identity.principal)
        case .refused(let refusal):
            try refuseIfBearerLimited(client)
            try await reject(AuthenticationFailure(.oidc, refusal.message, detail: refusal.rawValue), user: nil,
                             client: client, repository: repository, bearer: true)
        }
    }
}
