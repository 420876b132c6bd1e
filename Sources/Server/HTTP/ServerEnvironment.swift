import ChartWardenCore
import Foundation
import Hummingbird

/// What route handlers share: the repository service, authentication and access policy,
/// metrics and limits.
struct ServerEnvironment: Sendable {
    let service: ChartService
    let authenticator: Authenticator
    let policy: AccessPolicy
    let metrics: ServerMetrics
    let configuration: ChartWardenConfiguration
    let uploadReader: UploadReader
    let answers: HelmAnswerCache

    /// Who the request acts as: the verified client certificate and, when an `Authorization`
    /// header is sent, the user or API token it proves (a token's scope narrows every grant) —
    /// a wrong password or token is a 401 even where anonymous would do, so credentials are
    /// never silently ignored. `named` is the repository when the route has no `{repo}` (OCI).
    func principals(_ request: Request, context: ChartWardenRequestContext, repositoryNamed named: String? = nil)
        async throws(ServiceError) -> Set<Principal> {
        var caller: AuthenticatedCaller?
        if let authorization = request.headers[.authorization] {
            let repository = (named ?? context.parameters.get("repo")).flatMap { service.repository(named: $0)?.name }
            caller = try await authenticator.authenticate(
                authorization: authorization, client: context.channel.remoteAddress?.ipAddress ?? "unknown",
                repository: repository)
        }
        return policy.principals(for: await context.peerIdentity()?.certificateNames, caller: caller)
    }

    /// Resolves the repository a request addresses and checks `permission` on it.
    /// Public reads without credentials skip the certificate lookup: anonymous is enough.
    func resolve(_ permission: Permission, _ request: Request, context: ChartWardenRequestContext)
        async throws(ServiceError) -> (ChartRepository, Set<Principal>) {
        try await resolve(permission, repositoryNamed: context.parameters.get("repo") ?? "", request, context: context)
    }

    /// `resolve` for a repository named elsewhere than in the route's `{repo}` (the OCI paths).
    func resolve(_ permission: Permission, repositoryNamed name: String, _ request: Request,
                 context: ChartWardenRequestContext) async throws(ServiceError) -> (ChartRepository, Set<Principal>) {
        let repository = service.repository(named: name)
        if permission == .read, request.headers[.authorization] == nil, let repository,
           policy.isPublic(repository.configuration) {
            return (repository, policy.anonymousPrincipals)
        }
        let principals = try await principals(request, context: context, repositoryNamed: name)
        return (try policy.authorize(permission, in: repository, principals: principals), principals)
    }

    /// `/metrics`: the principals of `auth.metrics` (the admins unless configured).
    func requireMetricsAccess(_ request: Request, context: ChartWardenRequestContext) async throws(ServiceError) {
        let principals = try await principals(request, context: context)
        if policy.mayReadMetrics(principals) { return }
        guard AccessPolicy.isAuthenticated(principals) else { throw ServiceError(.unauthorized, "authentication required") }
        throw ServiceError(.forbidden, "\(AccessPolicy.actor(principals)) may not read metrics")
    }
}
