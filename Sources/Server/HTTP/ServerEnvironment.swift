import Foundation
import Hummingbird

/// What route handlers share: the repository service, the access policy, metrics and limits.
struct ServerEnvironment: Sendable {
    let service: ChartService
    let policy: AccessPolicy
    let metrics: ServerMetrics
    let configuration: ChartWardenConfiguration
    let uploadReader: UploadReader

    /// Resolves the repository a request addresses and checks `permission` on it.
    /// Public reads skip the certificate lookup: anonymous is enough.
    func resolve(_ permission: Permission, context: ChartWardenRequestContext) async throws(ServiceError)
        -> (ChartRepository, Set<Principal>) {
        let name = context.parameters.get("repo") ?? ""
        let repository = service.repository(named: name)
        let anonymous: Set<Principal> = [.anonymous]
        if let repository, policy.granted(permission, in: repository.configuration, to: anonymous),
           permission == .read {
            return (repository, anonymous)
        }
        let principals = policy.principals(for: await context.peerIdentity())
        return (try policy.authorize(permission, in: repository, principals: principals), principals)
    }

    /// Admin-only endpoints (`/metrics` for now).
    func requireAdmin(context: ChartWardenRequestContext) async throws(ServiceError) {
        let principals = policy.principals(for: await context.peerIdentity())
        guard !configuration.auth.admins.isDisjoint(with: principals) else {
            guard AccessPolicy.isAuthenticated(principals) else {
                throw ServiceError(.unauthorized, "authentication required")
            }
            throw ServiceError(.forbidden, "only administrators may read this")
        }
    }
}
