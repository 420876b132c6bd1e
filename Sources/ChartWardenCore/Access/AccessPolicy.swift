/// Maps a request's identity to principals and decides per repository. Denials follow one rule
/// set: a repository the caller may not read answers exactly like a missing one (404) so names do
/// not leak; an unauthenticated caller gets 401; an authenticated one without the grant, 403.
public struct AccessPolicy: Sendable {
    package let auth: ChartWardenConfiguration.Auth
    /// The principals of a request with neither credentials nor a client certificate: computed
    /// once, since the fast path asks `isPublic` per request.
    package let anonymousPrincipals: Set<Principal>

    public init(auth: ChartWardenConfiguration.Auth) {
        self.auth = auth
        anonymousPrincipals = Self.principals(direct: [.anonymous], groups: auth.groups)
    }

    /// `anonymous`; `cert:NAME` for each name the configured certificate field yields;
    /// `user:NAME` for a verified password; and every group containing any of them.
    public func principals(for identity: CertificateNames?, user: String? = nil) -> Set<Principal> {
        principals(for: identity, caller: user.map(AuthenticatedCaller.user))
    }

    /// As above, for any proved caller: an API token adds `token:NAME` (and its groups) and its
    /// scope, which then narrows every grant of the request, the certificate's included.
    public func principals(for identity: CertificateNames?, caller: AuthenticatedCaller?) -> Set<Principal> {
        var direct: Set<Principal> = [.anonymous]
        if let identity {
            let names: [String] = switch auth.certificatePrincipal {
            case .commonName: identity.commonName.map { [$0] } ?? []
            case .dnsName: identity.dnsNames
            case .uri: identity.uris
            case .email: identity.emailAddresses
            }
            for name in names { direct.insert(.certificate(name)) }
        }
        var scope: AccessScope?
        switch caller {
        case .user(let name): direct.insert(.user(name))
        case .token(let name, let tokenScope):
            direct.insert(.token(name))
            scope = tokenScope
        case .workload(let principal): direct.insert(principal)
        case nil: break
        }
        var all = Self.principals(direct: direct, groups: auth.groups)
        if let scope { all.insert(.restricted(scope)) }
        return all
    }

    /// `direct` and every group containing any of them.
    private static func principals(direct: Set<Principal>, groups: [String: Set<Principal>]) -> Set<Principal> {
        var all = direct
        for (name, members) in groups where !members.isDisjoint(with: direct) {
            all.insert(.group(name))
        }
        return all
    }

    /// Whether a caller without credentials may read `repository`: the one question the router's
    /// shortcut and the event-loop fast path both ask.
    package func isPublic(_ repository: ChartWardenConfiguration.Repository) -> Bool {
        granted(.read, in: repository, to: anonymousPrincipals)
    }

    package static func isAuthenticated(_ principals: Set<Principal>) -> Bool {
        principals.contains { $0 != .anonymous }
    }

    /// The actor name recorded in audit events: the user, else the token, else the workload
    /// identity, else the certificate, else anonymous.
    package static func actor(_ principals: Set<Principal>) -> String {
        if let user = principals.first(where: { if case .user = $0 { true } else { false } }) { return user.description }
        if let token = principals.first(where: { if case .token = $0 { true } else { false } }) { return token.description }
        if let workload = principals.first(where: { if case .workload = $0 { true } else { false } }) {
            return workload.description
        }
        return principals.first { if case .certificate = $0 { true } else { false } }?.description ?? "anonymous"
    }

    /// Whether a scope (an API token's) narrows the request.
    private static func isRestricted(_ principals: Set<Principal>) -> Bool {
        principals.contains { if case .restricted = $0 { true } else { false } }
    }

    /// A token never administers, whatever its name's grants (nor uses the per-repository admin
    /// routes of delete holders): its scope names chart actions, and minting or revoking tokens
    /// with a token would let one outlive its revocation.
    package func isAdmin(_ principals: Set<Principal>) -> Bool {
        !auth.admins.isDisjoint(with: principals) && !Self.isRestricted(principals)
    }

    /// `/metrics`: `auth.metrics` (the admins unless configured), narrowed like every other check —
    /// a token's scope names chart actions in repositories, never the metrics, so a token request
    /// keeps what anonymous has.
    package func mayReadMetrics(_ principals: Set<Principal>) -> Bool {
        !auth.metrics.isDisjoint(with: Self.isRestricted(principals) ? anonymousPrincipals : principals)
    }

    /// `/api/admin/tokens`: admins proved by a password or a certificate only. A token or an OIDC
    /// workload token (minutes long, unrevocable, the credential most likely to leak from CI logs)
    /// minting a token would outlive its own expiry or revocation; a workload in `auth.admins`
    /// keeps the other admin routes.
    package func authorizeTokenAdmin(principals: Set<Principal>) throws(ServiceError) {
        try authorizeAdmin(for: nil, principals: principals)
        if principals.contains(where: { if case .workload = $0 { true } else { false } }) {
            throw ServiceError(.forbidden, "\(Self.actor(principals)) is an OIDC workload: API tokens are managed "
                + "with a password or a client certificate")
        }
    }

    package func granted(_ permission: Permission, in repository: ChartWardenConfiguration.Repository,
                 to principals: Set<Principal>) -> Bool {
        let outOfScope = principals.contains {
            if case .restricted(let scope) = $0 { !scope.allows(permission, in: repository.name) } else { false }
        }
        // Outside its scope a token request keeps what anonymous has: dropping the header would
        // give the same, so narrowing below it protects nothing.
        return grants(permission, in: repository, to: outOfScope ? anonymousPrincipals : principals)
    }

    /// What the configured grants alone allow.
    private func grants(_ permission: Permission, in repository: ChartWardenConfiguration.Repository,
                        to principals: Set<Principal>) -> Bool {
        switch permission {
        // Writers and deleters may read too; checked set by set, without building a union per request.
        case .read:
            !repository.read.isDisjoint(with: principals) || !repository.write.isDisjoint(with: principals)
                || !repository.delete.isDisjoint(with: principals)
        case .write: !repository.write.isDisjoint(with: principals)
        case .delete: !repository.delete.isDisjoint(with: principals)
        }
    }

    /// Resolves the repository a request names, or throws the status the caller should see.
    /// Unauthenticated callers get 401 whether or not the repository exists, authenticated ones
    /// 404 for repositories they cannot read (missing or not), 403 for a missing grant.
    package func authorize(_ permission: Permission, in repository: ChartRepository?, principals: Set<Principal>)
        throws(ServiceError) -> ChartRepository {
        if let repository, granted(permission, in: repository.configuration, to: principals) { return repository }
        guard Self.isAuthenticated(principals) else {
            throw ServiceError(.unauthorized, "authentication required")
        }
        guard let repository, granted(.read, in: repository.configuration, to: principals) else {
            throw ServiceError(.notFound, "repository not found")
        }
        throw ServiceError(.forbidden, "\(Self.actor(principals)) may not \(permission.rawValue) in repository '\(repository.name)'")
    }

    /// Admin routes: `auth.admins` everywhere, or a repository's delete holders for that
    /// repository (`repository` nil means every repository, admins only).
    package func authorizeAdmin(for repository: ChartRepository?, principals: Set<Principal>) throws(ServiceError) {
        if isAdmin(principals) { return }
        // A token's `delete` scope is for charts, not for a repository's signers or audit log.
        if let repository, !Self.isRestricted(principals), granted(.delete, in: repository.configuration, to: principals) {
            return
        }
        guard Self.isAuthenticated(principals) else { throw ServiceError(.unauthorized, "authentication required") }
        throw ServiceError(.forbidden, "\(Self.actor(principals)) may not use the admin API"
            + (repository.map { " for repository '\($0.name)'" } ?? ""))
    }
}
