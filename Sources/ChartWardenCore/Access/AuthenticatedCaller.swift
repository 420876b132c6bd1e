/// Who an `Authorization` header proved to be: an htpasswd user, an API token with its scope,
/// or an OIDC workload identity. `AccessPolicy.principals` turns it into the principals grants
/// name.
public enum AuthenticatedCaller: Sendable, Equatable {
    case user(String)
    case token(name: String, scope: AccessScope)
    /// The principal an `auth.oidc` template rendered (`ci:octo-org/app`).
    case workload(Principal)
}
