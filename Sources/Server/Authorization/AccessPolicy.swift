import TLS

/// Maps a request's identity to principals and decides per repository. Denials follow one rule
/// set: a repository the caller may not read answers exactly like a missing one (404) so names do
/// not leak; an unauthenticated caller gets 401; an authenticated one without the grant, 403.
public struct AccessPolicy: Sendable {
    let groups: [String: Set<Principal>]

    public init(auth: ChartWardenConfiguration.Auth) {
        groups = auth.groups
    }

    /// `anonymous`, `cert:CN` for a verified certificate, and every group containing either.
    public func principals(for identity: PeerIdentity?) -> Set<Principal> {
        var direct: Set<Principal> = [.anonymous]
        if let commonName = identity?.commonName { direct.insert(.certificate(commonName)) }
        var all = direct
        for (name, members) in groups where !members.isDisjoint(with: direct) {
            all.insert(.group(name))
        }
        return all
    }

    static func isAuthenticated(_ principals: Set<Principal>) -> Bool {
        principals.contains { $0 != .anonymous }
    }

    /// The actor name recorded in audit events.
    static func actor(_ principals: Set<Principal>) -> String {
        principals.first { if case .certificate = $0 { true } else { false } }?.description ?? "anonymous"
    }

    func granted(_ permission: Permission, in repository: ChartWardenConfiguration.Repository,
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
    func authorize(_ permission: Permission, in repository: ChartRepository?, principals: Set<Principal>)
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
}
