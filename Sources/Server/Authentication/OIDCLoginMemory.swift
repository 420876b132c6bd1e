import Foundation
import OpenSSLSupport

/// Which OIDC tokens were already audited as logins: a CI job sends its token on every request,
/// and one audit row per token (per job), not per request, is what the log needs. Keyed by the
/// SHA-256 of the token, remembered until it expires, bounded.
struct OIDCLoginMemory: Sendable {
    static let capacity = 10_000
    private var seen: [SHA256Digest: Date] = [:]

    /// True the first time `token` is seen (it should be audited), false afterwards.
    mutating func firstUse(of token: String, expiresAt: Date, now: Date) -> Bool {
        let key = Self.key(token)
        if seen[key] != nil { return false }
        if seen.count >= Self.capacity {
            seen = seen.filter { $0.value > now }
            // Still full of live tokens: forget them all; the cost is a second audit row per token.
            if seen.count >= Self.capacity { seen = [:] }
        }
        seen[key] = expiresAt
        return true
    }

    /// Forgets `token`, so its next use is audited again (its audit write failed).
    mutating func forget(_ token: String) {
        seen[Self.key(token)] = nil
    }

    private static func key(_ token: String) -> SHA256Digest {
        let hasher = SHA256Hasher()
        hasher.update(Array(token.utf8))
        return hasher.finalize()
    }

    var count: Int { seen.count }
}
