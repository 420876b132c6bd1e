import Foundation
import Logging
import OpenPGP
import Provenance
import Storage

/// Signer trust: key material in a GnuPG home under the data directory (driven through GPGME),
/// which key is trusted for which repository and every revocation in SQLite. Every method
/// blocks (gpg processes, SQLite): call them off the event loop.
public final class TrustStore: Sendable {
    let keyring: OpenPGPKeyring
    let metadata: any MetadataStore
    let verifier: ProvenanceVerifier

    init(keyring: OpenPGPKeyring, metadata: any MetadataStore) {
        self.keyring = keyring
        self.metadata = metadata
        verifier = ProvenanceVerifier(keyring: keyring)
    }

    /// What the trust store says about `fingerprint` for `repository`.
    func standing(_ fingerprint: String, repository: String) -> SignerStanding {
        let signer = try? metadata.signer(fingerprint)
        let trusted = (try? metadata.trustedRepositories(fingerprint))?.contains(repository) ?? false
        let revocation = signer.flatMap { signer in
            signer.revokedAt.map { SignerStanding.Revocation(at: $0, isSoft: signer.revocationKind == .soft) }
        }
        return SignerStanding(isTrusted: trusted, revocation: revocation)
    }

    func verify(_ subject: ProvenanceVerifier.Subject, repository: String, now: Date = Date()) -> ProvenanceVerdict {
        verifier.verify(subject, now: now) { standing($0, repository: repository) }
    }

    /// Imports public keys and trusts each for `repository` (when given). Keys too weak to sign
    /// (RSA or DSA below 2048 bits, ElGamal signing) are refused before anything is recorded,
    /// and so are keys carrying a revocation dated in the future.
    public func importKeys(_ bytes: [UInt8], trustFor repository: String?, actor: String) throws(ServiceError) -> [OpenPGPKey] {
        let result: ImportResult
        do {
            result = try keyring.importKeys(bytes)
        } catch {
            throw ServiceError(.badRequest, "not an OpenPGP public key: \(error.message)")
        }
        let now = Date()
        var keys: [OpenPGPKey] = []
        var revocations: [String: RevocationSignature] = [:]
        for imported in result.keys {
            guard let key = try? keyring.key(imported.fingerprint) else { continue }
            if let weakness = key.weakness { throw ServiceError(.badRequest, weakness) }
            if key.isRevoked {
                revocations[key.fingerprint] = try validRevocation(of: key.fingerprint, now: now) {
                    () throws(OpenPGPError) in try keyring.keyRevocations(of: key.fingerprint)
                }
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw ServiceError(.badRequest, "the data holds no public key") }
        do {
            for key in keys {
                try metadata.upsertSigner(SignerRecord(
                    fingerprint: key.fingerprint, userIDs: key.userIDs, algorithm: key.algorithm, created: key.created,
                    expires: key.expires, importedAt: now))
                if let revocation = revocations[key.fingerprint] {
                    try metadata.recordRevocation(key.fingerprint, at: revocation.created,
                                                  kind: revocation.isSoft ? .soft : .hard, audit: nil)
                } else if key.isRevoked, try metadata.signer(key.fingerprint)?.revokedAt == nil {
                    // GnuPG holds a revocation whose reason cannot be read: it counts as hard.
                    try metadata.recordRevocation(key.fingerprint, at: now, kind: .hard, audit: nil)
                }
                if let repository {
                    _ = try metadata.trust(RepositoryTrustRecord(repository: repository, fingerprint: key.fingerprint,
                                                                 addedAt: now, addedBy: actor),
                                           audit: AuditEvent(at: now, repository: repository, actor: actor, action: "trust",
                                                             outcome: "trusted", subject: key.fingerprint))
                }
            }
        } catch {
            throw ServiceError(.internalError, "cannot record the key: \(error)")
        }
        return keys
    }

    /// Applies a revocation certificate for `fingerprint`. Only key revocations GnuPG validated
    /// count (a forged packet listed first changes nothing), the hardest of them decides hard or
    /// soft, and one dated in the future is refused: it is tried in a throwaway GnuPG home
    /// first, so a refused certificate leaves the keyring as it was.
    public func revoke(_ fingerprint: String, certificate: [UInt8], actor: String) throws(ServiceError) -> SignerStanding.Revocation {
        guard (try? metadata.signer(fingerprint)) ?? nil != nil else {
            throw ServiceError(.notFound, "signer \(fingerprint) is not known")
        }
        let now = Date()
        let found = try validRevocation(of: fingerprint, now: now) { () throws(OpenPGPError) in
            try keyring.keyRevocations(of: fingerprint, afterImporting: certificate)
        }
        guard let revocation = found else {
            throw ServiceError(.badRequest, "the certificate holds no valid revocation of \(fingerprint) "
                + "(GnuPG checked each signature; a certificate for another key or an altered one does not count)")
        }
        do {
            _ = try keyring.importKeys(certificate)
        } catch {
            throw ServiceError(.badRequest, "GnuPG refused the revocation certificate: \(error.message)")
        }
        guard (try? keyring.key(fingerprint))??.isRevoked == true else {
            throw ServiceError(.badRequest, "GnuPG did not accept the revocation (bad signature?)")
        }
        let kind: SignerRecord.RevocationKind = revocation.isSoft ? .soft : .hard
        do {
            try metadata.recordRevocation(fingerprint, at: revocation.created, kind: kind, audit: AuditEvent(
                at: now, repository: nil, actor: actor, action: "revoke", outcome: kind.rawValue, subject: fingerprint,
                detail: Self.json(["reason": revocation.reasonText, "revokedAt": ISO8601DateFormatter().string(from: revocation.created)])))
        } catch {
            throw ServiceError(.internalError, "cannot record the revocation: \(error)")
        }
        return SignerStanding.Revocation(at: revocation.created, isSoft: revocation.isSoft)
    }

    /// The revocation that applies to `fingerprint`, from the validated revocations `read`
    /// returns: nil when there are none, refused when any is dated in the future.
    private func validRevocation(of fingerprint: String, now: Date,
                                 _ read: () throws(OpenPGPError) -> [RevocationSignature]) throws(ServiceError)
        -> RevocationSignature? {
        let revocations: [RevocationSignature]
        do {
            revocations = try read()
        } catch {
            throw ServiceError(.badRequest, "GnuPG refused the revocation certificate: \(error.message)")
        }
        let skew = verifier.configuration.maximumClockSkew
        if let future = revocations.first(where: { $0.isFutureDated(now: now, skew: skew) }) {
            throw ServiceError(.badRequest, "the revocation of \(fingerprint) is dated "
                + "\(ISO8601DateFormatter().string(from: future.created)), in the future: refused")
        }
        return RevocationSignature.effective(revocations)
    }

    public func distrust(_ fingerprint: String, repository: String, actor: String) throws(ServiceError) {
        let removed: Bool
        do {
            removed = try metadata.distrust(repository: repository, fingerprint: fingerprint, audit: AuditEvent(
                at: Date(), repository: repository, actor: actor, action: "distrust", outcome: "distrusted",
                subject: fingerprint))
        } catch {
            throw ServiceError(.internalError, "cannot record the change: \(error)")
        }
        guard removed else { throw ServiceError(.notFound, "\(fingerprint) is not trusted for this repository") }
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
