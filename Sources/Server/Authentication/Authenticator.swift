import ChartWardenCore
import Foundation
import Logging
import NIOPosix
import Storage
import Synchronization

/// Turns an `Authorization` header into a user name or an API token, or a 401/429. Failed
/// passwords are counted per client address and per user name (`AuthFailureLimiter`); a limited
/// caller is answered 429 before any hash runs. Failed bearer tokens (`+Bearer`) count in a
/// bucket of their own. Every failure is written to the audit log before the answer goes out.
final class Authenticator: Sendable {
    struct Configuration: Sendable, Equatable {
        var htpasswdPath: String?
        var limits: AuthFailureLimiter.Configuration
        /// Trusted issuers of OIDC workload tokens (`auth.oidc`).
        var oidc: [OIDCProvider] = []
        /// Every principal a grant, `auth.admins`, `auth.metrics` or a group names
        /// (`ChartWardenConfiguration.namedPrincipals`); a token or workload outside it is refused.
        /// Nil: no such check (router tests).
        var namedPrincipals: Set<Principal>?
    }

    /// The htpasswd users, reached only on the thread pool (hashing blocks).
    private let credentials: BlockingWork<CredentialStore>?
    private let limiter: Mutex<AuthFailureLimiter>
    /// Failed API tokens per client address: not password guesses (no hash to spend, 256 bits
    /// to guess), but each one is an audit write, so a flood is bounded like passwords are.
    let bearerLimiter: Mutex<AuthFailureLimiter>
    let tokens: TokenService
    /// Nil when `auth.oidc` is empty: bearer JWTs are then refused as malformed tokens.
    let oidc: OIDCVerifier?
    /// Workload logins already audited (per issuer, subject and principal, per hour).
    let oidcLogins = Mutex(OIDCLoginMemory())
    /// Bearer handles (token ids, issuer and key ids) that proved valid: they pass a limited address.
    let knownGoodBearers = Mutex(KnownGoodBearers())
    let namedPrincipals: Set<Principal>?
    let audit: AuditLog
    let metrics: ServerMetrics
    private let logger: Logger
    /// Handshakes refused for their client certificate, aggregated per address and minute.
    let certificateRejections: CertificateRejectionAuditor

    init(configuration: Configuration, tokens: TokenService, audit: AuditLog, metrics: ServerMetrics,
         threadPool: NIOThreadPool = .singleton, logger: Logger) throws(ConfigurationError) {
        credentials = try configuration.htpasswdPath.map { path throws(ConfigurationError) in
            BlockingWork(try CredentialStore(path: path), threadPool: threadPool)
        }
        limiter = Mutex(AuthFailureLimiter(configuration: configuration.limits))
        bearerLimiter = Mutex(AuthFailureLimiter(configuration: configuration.limits))
        self.tokens = tokens
        namedPrincipals = configuration.namedPrincipals
        oidc = configuration.oidc.isEmpty ? nil
            : OIDCVerifier(providers: configuration.oidc, fetch: JWKSFetcher.fetcher(threadPool: threadPool))
        self.audit = audit
        self.metrics = metrics
        self.logger = logger
        for provider in configuration.oidc where !provider.requirePinsOwner {
            logger.warning("auth.oidc: require pins no owner claim (such as repository_owner_id): every job of the issuer is an authenticated workload",
                           metadata: ["issuer": "\(provider.issuer)", "principal": "\(provider.principal)"])
        }
        certificateRejections = CertificateRejectionAuditor(
            write: { [audit] bucket in
                await Self.recordCertificateRejections(bucket, audit: audit)
            },
            onDropped: { [metrics] count in metrics.certificateRejectionsDropped(count) })
    }

    /// Who the header proves: `Bearer <token>`, Basic with user `token` and the token as
    /// password, or an htpasswd user. `repository` only labels the audit event.
    func authenticate(authorization: String, client: String, repository: String?) async throws(ServiceError)
        -> AuthenticatedCaller {
        if let bearer = Self.bearerToken(authorization) {
            return try await authenticateToken(bearer, client: client, repository: repository)
        }
        let credentials: BasicCredentials
        do {
            credentials = try BasicCredentials(authorization: authorization)
        } catch {
            try await reject(error, user: nil, client: client, repository: repository)
        }
        if credentials.user == Self.tokenUser {
            return try await authenticateToken(credentials.password, client: client, repository: repository)
        }
        let now = ContinuousClock.now
        if let wait = limiter.withLock({ $0.retryAfter(address: client, user: credentials.user, now: now) }) {
            metrics.authentication(outcome: "rate_limited")
            throw ServiceError(.tooManyRequests, "too many failed authentications; retry later", retryAfterSeconds: wait)
        }
        guard let store = self.credentials else {
            // No hash ran and no password could be right: the name is not guessed, so only the address counts.
            try await reject(AuthenticationFailure(.notConfigured, "password authentication is not configured"),
                             user: credentials.user, client: client, repository: repository, countsForUser: false)
        }
        let logger = self.logger
        let result = try await store.run { (store, _) throws(ServiceError) in
            store.reloadIfChanged(logger: logger)
            return store.verify(user: credentials.user, password: credentials.password)
        }
        if result.hashed { metrics.passwordHashComputed() }
        metrics.evicted(result.evicted, from: "verified_passwords")
        switch result.verdict {
        case .valid:
            let evicted = limiter.withLock { limiter in
                limiter.recordSuccess(address: client, user: credentials.user, now: ContinuousClock.now)
                return limiter.takeEvictions()
            }
            metrics.evicted(evicted, from: "auth_failure_limiter")
            metrics.authentication(outcome: "success")
            return .user(credentials.user)
        case .unknownUser:
            try await reject(AuthenticationFailure(.unknownUser, "invalid user name or password"),
                             user: credentials.user, client: client, repository: repository)
        case .wrongPassword:
            try await reject(AuthenticationFailure(.wrongPassword, "invalid user name or password"),
                             user: credentials.user, client: client, repository: repository)
        }
    }

    /// Counts the failure, audits it (and the start of a lockout), then throws the 401. Bearer
    /// failures count in `bearerLimiter`, never as password guesses.
    func reject(_ failure: AuthenticationFailure, user: String?, client: String, repository: String?,
                countsForUser: Bool = true, bearer: Bool = false, token: String? = nil) async throws(ServiceError) -> Never {
        metrics.authentication(outcome: "failure")
        let now = ContinuousClock.now
        let (engaged, evicted) = bearer
            ? bearerLimiter.withLock { limiter in
                (limiter.recordFailure(address: client, user: nil, now: now), limiter.takeEvictions())
            }
            : limiter.withLock { limiter in
                (limiter.recordFailure(address: client, user: countsForUser ? user : nil, now: now), limiter.takeEvictions())
            }
        metrics.evicted(evicted, from: bearer ? "bearer_failure_limiter" : "auth_failure_limiter")
        let actor = user.map { "user:\($0)" } ?? "anonymous"
        do {
            var events = [AuditEvent(at: Date(), repository: repository, actor: actor, action: .authenticate,
                                     outcome: .denied, subject: client,
                                     detail: try AuditDetail(AuditDetails.AuthenticationRefused(
                                        reason: failure.detail ?? failure.reason.rawValue, address: client, token: token)))]
            for key in engaged {
                let keyText = switch key {
                case .address(let address): "address \(address)"
                case .user(let name): "user \(name)"
                }
                events.append(AuditEvent(at: Date(), repository: repository, actor: actor, action: .authenticate,
                                         outcome: .rateLimited, subject: client,
                                         detail: try AuditDetail(AuditDetails.AuthenticationRefused(
                                            reason: "too many failures for \(keyText)", address: client))))
            }
            try await audit.append(events)
        } catch is ServiceError {
            // Logged and counted by the audit log; the caller is refused either way.
        } catch {
            _ = audit.failed(error, writing: "authenticate denied")
        }
        throw ServiceError(.unauthorized, failure.message)
    }

    /// Client certificates refused in TLS handshakes (unknown CA, expired, missing where
    /// required) from one address in one minute: one audited authentication failure carrying
    /// the count and the distinct reasons. Not counted against the address, since no password
    /// hash was spent on them.
    static func certificateRejectionEvent(_ bucket: CertificateRejectionAggregator.Bucket) throws -> AuditEvent {
        AuditEvent(
            at: bucket.last ?? Date(timeIntervalSince1970: Double(bucket.minute) * 60), repository: nil,
            actor: "anonymous", action: .authenticate, outcome: .denied, subject: bucket.address,
            detail: try AuditDetail(AuditDetails.AuthenticationRefused(
                reason: "client-certificate", address: bucket.address, tls: bucket.reasons.joined(separator: "; "),
                count: bucket.count)))
    }

    private static func recordCertificateRejections(_ bucket: CertificateRejectionAggregator.Bucket,
                                                    audit: AuditLog) async {
        do {
            try await audit.append([certificateRejectionEvent(bucket)])
        } catch is ServiceError {
            // Logged and counted by the audit log.
        } catch {
            _ = audit.failed(error, writing: "authenticate denied")
        }
    }

    /// The refused-certificate events not written yet that `query` selects, newest first, for a
    /// reader that has just read `stored` from the log: one being written and already in
    /// `stored` is not repeated. Older pages (`beforeID`) hold only written rows.
    func pendingCertificateRejections(matching query: AuditQuery, stored: [AuditEvent]) -> [AuditEvent] {
        guard query.beforeID == nil, query.repository == nil,
              query.action.map({ $0 == AuditAction.authenticate.rawValue }) ?? true,
              query.outcome.map({ $0 == AuditOutcome.denied.rawValue }) ?? true else { return [] }
        let (counting, writing) = certificateRejections.pending()
        // A bucket's row carries exactly the detail its pending event has (same encoder).
        let written = Set(stored.compactMap { event in event.detail.map { "\(event.subject ?? "") \($0)" } })
        let unwritten = counting.compactMap { try? Self.certificateRejectionEvent($0) }
            + writing.compactMap { try? Self.certificateRejectionEvent($0) }.filter { event in
                !written.contains("\(event.subject ?? "") \(event.detail ?? "")")
            }
        return unwritten
            .filter { event in query.since.map { event.at >= $0 } ?? true }
            .sorted { $0.at > $1.at }
    }

    /// Called on the event loop for each refused handshake: counts it; the audit row comes later.
    func recordCertificateRejection(client: String, reason: String) {
        metrics.authentication(outcome: "certificate_rejected")
        certificateRejections.record(address: client, reason: reason)
    }
}
