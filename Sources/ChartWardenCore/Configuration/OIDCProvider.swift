/// One trusted OIDC issuer of workload identities (README, "OIDC workload identity"): a CI
/// job's short-lived JWT from `issuer`, for `audience`, signed by a key of `jwks`, carrying the
/// `require`d claims, acts as the principal `principal` renders from its claims.
public struct OIDCProvider: Sendable, Equatable {
    public enum KeySource: Sendable, Equatable {
        /// Fetched over HTTPS, verified against `caFile` (or the system's CAs when nil).
        case url(String, caFile: String?)
        /// A JWKS file, re-read when a token names a key id it does not hold.
        case file(String)
    }

    public var issuer: String
    public var audience: String
    public var keys: KeySource
    public var principal: PrincipalTemplate
    /// Claim name → exact string value.
    public var require: [String: String]

    public init(issuer: String, audience: String, keys: KeySource, principal: PrincipalTemplate, require: [String: String]) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.principal = principal
        self.require = require
    }
}
