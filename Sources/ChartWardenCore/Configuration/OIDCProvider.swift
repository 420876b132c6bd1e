import Foundation

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
    /// Longest `exp - iat` (or `exp - now` without `iat`) accepted: an issuer minting a token for
    /// days is a bug or a leak waiting to happen, not a CI job.
    public var maxTokenLifetime: TimeInterval
    /// One hour: GitHub's tokens live minutes, GitLab's as long as the job's timeout (raise it for longer jobs).
    public static let defaultMaxTokenLifetime: TimeInterval = 3_600

    /// Claims that name who owns a CI job on the public platforms (GitHub, GitLab).
    static let ownerClaims: Set<String> = ["sub", "repository", "repository_id", "repository_owner", "repository_owner_id",
                                           "project_id", "project_path", "namespace_id", "namespace_path"]

    /// Whether `require` pins the job's owner. On a public issuer anyone can get a token for any
    /// audience, so without it every repository of the platform is an authenticated workload
    /// (the server warns at startup; README, "OIDC workload identity").
    public var requirePinsOwner: Bool { !require.keys.filter(Self.ownerClaims.contains).isEmpty }

    public init(issuer: String, audience: String, keys: KeySource, principal: PrincipalTemplate, require: [String: String],
                maxTokenLifetime: TimeInterval = defaultMaxTokenLifetime) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.principal = principal
        self.require = require
        self.maxTokenLifetime = maxTokenLifetime
    }
}
