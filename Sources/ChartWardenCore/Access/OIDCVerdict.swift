import Foundation

/// What checking an OIDC token decided. `judge` is the pure part: the claims of a token whose
/// signature a key of `provider` verified, against the provider's rules, at `now`.
package enum OIDCVerdict: Sendable, Equatable {
    case valid(OIDCIdentity)
    case refused(Refusal)

    package struct OIDCIdentity: Sendable, Equatable {
        package let principal: Principal
        package let issuer: String
        package let subject: String
        package let expiresAt: Date
    }

    package enum Refusal: String, Sendable {
        case malformed = "oidc-malformed"
        /// No configured provider has the token's issuer.
        case unknownIssuer = "oidc-unknown-issuer"
        /// `none`, HMAC, or an algorithm the key is not for.
        case algorithm = "oidc-algorithm"
        /// No key of the issuer's JWKS has the token's key id, even after a refresh.
        case unknownKey = "oidc-unknown-key"
        case signature = "oidc-signature"
        case expired = "oidc-expired"
        case notYetValid = "oidc-not-yet-valid"
        /// `exp - iat` (or `exp - now`) longer than the provider's `maxTokenLifetimeSeconds`.
        case lifetime = "oidc-lifetime"
        case audience = "oidc-audience"
        /// A `require`d claim is missing or differs.
        case claim = "oidc-claim"
        /// The principal template could not be rendered (a claim missing or outside the alphabet).
        case principal = "oidc-principal"
        /// The issuer's keys could not be fetched or read.
        case keysUnavailable = "oidc-keys-unavailable"

        /// What the client is told: enough to fix a CI setup, nothing about the keys.
        package var message: String {
            switch self {
            case .expired: "token expired"
            case .notYetValid: "token not yet valid"
            case .lifetime: "token lifetime too long"
            case .audience: "token audience not accepted"
            case .claim: "token claims not accepted"
            default: "invalid token"
            }
        }
    }

    /// Tolerated clock difference between the issuer and this server.
    package static let leeway: TimeInterval = 30

    package static func judge(_ claims: [String: JWTClaimValue], provider: OIDCProvider, now: Date) -> OIDCVerdict {
        guard case .string(provider.issuer)? = claims["iss"] else { return .refused(.unknownIssuer) }
        guard case .number(let exp)? = claims["exp"] else { return .refused(.malformed) }
        let expiresAt = Date(timeIntervalSince1970: exp)
        guard expiresAt.timeIntervalSince(now) > -leeway else { return .refused(.expired) }
        // `nbf` and `iat` are optional, but one of another type is a malformed token, not an absent claim.
        var issuedAt: Date?
        for name in ["nbf", "iat"] {
            switch claims[name] {
            case nil: continue
            case .number(let seconds)?:
                let date = Date(timeIntervalSince1970: seconds)
                guard date.timeIntervalSince(now) <= leeway else { return .refused(.notYetValid) }
                if name == "iat" { issuedAt = date }
            default: return .refused(.malformed)
            }
        }
        guard expiresAt.timeIntervalSince(issuedAt ?? now) <= provider.maxTokenLifetime else { return .refused(.lifetime) }
        switch claims["aud"] {
        case .string(provider.audience)?: break
        case .strings(let audiences)? where audiences.contains(provider.audience): break
        default: return .refused(.audience)
        }
        for (name, value) in provider.require {
            guard case .string(value)? = claims[name] else { return .refused(.claim) }
        }
        guard case .string(let subject)? = claims["sub"], !subject.isEmpty else { return .refused(.malformed) }
        guard let principal = provider.principal.render(claims) else { return .refused(.principal) }
        return .valid(OIDCIdentity(principal: principal, issuer: provider.issuer, subject: subject, expiresAt: expiresAt))
    }
}
