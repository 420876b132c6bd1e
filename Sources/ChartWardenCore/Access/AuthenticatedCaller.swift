/// Who an `Authorization` header proved to be: an htpasswd user, or an API token with its
/// scope. `AccessPolicy.principals` turns it into the principals grants name.
public enum AuthenticatedCaller: Sendable, Equatable {
    case user(String)
    case token(name: String, scope: AccessScope)
}
