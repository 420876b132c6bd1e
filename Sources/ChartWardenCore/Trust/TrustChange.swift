import Provenance

/// A change of signer trust that has not been made yet, so an admin can see which published
/// charts it would quarantine before confirming it (`TrustService.quarantinePreview`).
package enum TrustChange: Sendable, Equatable {
    /// The key stops being trusted for one repository.
    case distrusted(String, repository: String)
    /// A revocation certificate for the key: its own revocation (nil when it revokes only
    /// subkeys) and the subkeys it revokes, which fail whatever they signed.
    case revoked(String, SignerStanding.Revocation?, subkeys: Set<String>)

    /// The primary key the change is about.
    package var fingerprint: String {
        switch self {
        case .distrusted(let fingerprint, _), .revoked(let fingerprint, _, _): fingerprint
        }
    }

    /// The only repository it touches, nil for every repository.
    package var repository: String? {
        switch self {
        case .distrusted(_, let repository): repository
        case .revoked: nil
        }
    }

    /// `standing` of `signer` in `repository` once the change is made. A recorded revocation
    /// is never softened (the store keeps the hardest, earliest one).
    func applied(to standing: SignerStanding, of signer: String, in repository: String) -> SignerStanding {
        guard signer == fingerprint else { return standing }
        var changed = standing
        switch self {
        case .distrusted(_, let distrustedIn):
            if distrustedIn == repository { changed.isTrusted = false }
        case .revoked(_, let revocation, _):
            guard let revocation else { break }
            if let current = standing.revocation, !current.isSoft || (revocation.isSoft && current.at <= revocation.at) {
                break
            }
            changed.revocation = revocation
        }
        return changed
    }

    /// Whether the change fails a signature made by `signingKey` (a revoked subkey counts as hard).
    func revokesSigningKey(_ signingKey: String?) -> Bool {
        guard case .revoked(_, _, let subkeys) = self, let signingKey else { return false }
        return subkeys.contains(signingKey)
    }
}
