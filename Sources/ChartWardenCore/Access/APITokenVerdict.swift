import Foundation
import Storage

/// What checking a presented API token decided. Judged by `judge` alone (pure): the store only
/// finds the row by the token's public id.
package enum APITokenVerdict: Sendable, Equatable {
    case valid(name: String, scope: AccessScope)
    case refused(Refusal)

    package enum Refusal: String, Sendable {
        /// Not of the token's shape.
        case malformed = "token-malformed"
        /// No token has this id, or its secret differs: the caller proved nothing.
        case unknown = "token-unknown"
        /// The secret is right but the token was revoked or has expired: said so, since only
        /// the holder of the secret can learn it.
        case revoked = "token-revoked"
        case expired = "token-expired"

        package var message: String {
            switch self {
            case .malformed, .unknown: "invalid token"
            case .revoked: "token revoked"
            case .expired: "token expired"
            }
        }
    }

    /// The secret is compared first, so revocation and expiry are told only to its holder.
    package static func judge(_ presented: APITokenCredential, stored: APITokenRecord?, now: Date) -> APITokenVerdict {
        guard let stored, stored.id == presented.id, presented.matches(storedHash: stored.secretHash) else {
            return .refused(.unknown)
        }
        if stored.revokedAt != nil { return .refused(.revoked) }
        if stored.expiresAt <= now { return .refused(.expired) }
        let actions = Set(stored.actionList.compactMap(Permission.init(rawValue:)))
        return .valid(name: stored.name, scope: AccessScope(repositories: Set(stored.repositoryList), actions: actions))
    }
}
