import Foundation
import Logging
import OpenPGP
import Provenance
import Storage

/// Signer trust: key material in a GnuPG home under the data directory (driven through GPGME),
/// which key is trusted for which repository and every revocation in SQLite. Every method
/// blocks (gpg processes, SQLite): call them off the event loop.
public final class TrustStore: Sendable {
    package let keyring: OpenPGPKeyring
    package let metadata: any MetadataStore
    package let verifier: ProvenanceVerifier
    private let lock = NSLock()
    package static let logger = Logger(label: "chartwarden.trust")

    /// Whether the metadata store keeps the key material (PostgreSQL: the GnuPG home is then a
    /// cache rebuilt from it at start, as on every replica).
    package let keysInStore: Bool

    package init(keyring: OpenPGPKeyring, metadata: any MetadataStore, keysInStore: Bool = false) {
        self.keyring = keyring
        self.metadata = metadata
        self.keysInStore = keysInStore
        verifier = ProvenanceVerifier(keyring: keyring)
    }

    /// Imports every key the store keeps into the GnuPG home (each was checked when it was first
    /// adopted, revocations included). Nothing to do when the store keeps none.
    package func restoreKeys() throws {
        guard keysInStore else { return }
        for key in try metadata.signerKeys() {
            _ = try keyring.importKeys(Array(key.armored.utf8))
        }
    }

    /// Re-imports every stored key, as `restoreKeys` at start, for a replica following another's
    /// trust change; a key GnuPG refuses is skipped and named, so one key never keeps a replica
    /// from the others (or from the chart changes that follow). Throws only when the store
    /// cannot be read.
    package func reimportKeys() throws(StorageError) -> [String] {
        guard keysInStore else { return [] }
        var refused: [String] = []
        for key in try metadata.signerKeys() {
            do throws(OpenPGPError) {
                _ = try keyring.importKeys(Array(key.armored.utf8))
            } catch {
                refused.append(key.fingerprint)
            }
        }
        return refused
    }

    /// Records the key as the keyring now holds it (after an adopt), when the store keeps keys:
    /// before anything else of the change is recorded, so no replica sees a signer without its key.
    private func storeKeyMaterial(_ fingerprint: String) throws(ServiceError) {
        guard keysInStore else { return }
        do {
            // The stored copy (perhaps holding a revocation another replica adopted) is merged
            // into this keyring first: GnuPG only adds what it validates, so what is stored only grows.
            try metadata.mergeSignerKey(fingerprint) { stored in
                if let stored { _ = try keyring.importKeys(Array(stored.utf8)) }
                return try keyring.exportArmored(fingerprint)
            }
        } catch {
            throw ServiceError(.internalError, "cannot record the key material of \(fingerprint): \(error)", cause: error)
        }
    }

    /// What the trust store says about `fingerprint` for `repository`. A store that cannot be
    /// reached is an error, never "not trusted": judging on a guess would refuse (or, in a
    /// re-evaluation, quarantine) good charts.
    package func standing(_ fingerprint: String, repository: String) throws(StorageError) -> SignerStanding {
        let signer = try Self.unlessUnavailable(nil) { () throws(StorageError) in try metadata.signer(fingerprint) }
        let trusted = try Self.unlessUnavailable([]) { () throws(StorageError) in
            try metadata.trustedRepositories(fingerprint)
        }.contains(repository)
        let revocation = signer.flatMap { signer in
            signer.revokedAt.map { SignerStanding.Revocation(at: $0, isSoft: signer.revocationKind == .soft) }
        }
        return SignerStanding(isTrusted: trusted, revocation: revocation)
    }

    /// `read()`, or `fallback` when it fails otherwise than by the store being unavailable.
    private static func unlessUnavailable<T>(_ fallback: T, _ read: () throws(StorageError) -> T) throws(StorageError) -> T {
        do {
            return try read()
        } catch where error.code == .unavailable {
            throw error
        } catch {
            return fallback
        }
    }

    /// `assuming` adjusts the standing of a signer before it is judged: a trust change not made
    /// yet, to show what it would quarantine (`TrustService.quarantinePreview`). Throws (503)
    /// when a signer's standing cannot be read because the store is unavailable.
    package func verify(_ subject: ProvenanceVerifier.Subject, repository: String, now: Date = Date(),
                expiryJudgedAt: Date? = nil, assuming change: TrustChange? = nil) throws(ServiceError) -> ProvenanceVerdict {
        var unavailable: StorageError?
        let verdict = verifier.verify(subject, now: now, expiryJudgedAt: expiryJudgedAt) { fingerprint in
            do throws(StorageError) {
                let current = try standing(fingerprint, repository: repository)
                return change?.applied(to: current, of: fingerprint, in: repository) ?? current
            } catch {
                unavailable = error
                return SignerStanding(isTrusted: false, revocation: nil)
            }
        }
        if let unavailable {
            throw ServiceError(.internalError, "cannot read the signer's standing: \(unavailable)", cause: unavailable)
        }
        return verdict
    }

    /// Imports public keys and trusts each for `repository` (when given). Everything is checked
    /// in a throwaway GnuPG home first (`OpenPGPKeyring.check`), and nothing reaches the keyring
    /// or the database unless every key passes: keys not allowed to sign (too few bits, an
    /// algorithm off the allowlist) and keys carrying a validated revocation dated in the future
    /// are refused. Only the checked keys' own packets, without revocations GnuPG did not
    /// validate, are imported for real.
    public func importKeys(_ bytes: [UInt8], trustFor repository: String?, actor: String) throws(ServiceError) -> [OpenPGPKey] {
        try serialized { () throws(ServiceError) in
            let certificates: [CheckedCertificate]
            do throws(OpenPGPError) {
                certificates = try keyring.check(bytes)
            } catch {
                throw ServiceError(.badRequest, "not an OpenPGP public key: \(error.message)")
            }
            guard !certificates.isEmpty else { throw ServiceError(.badRequest, "the data holds no public key") }
            let now = Date()
            var revocations: [String: RevocationSignature] = [:]
            for certificate in certificates {
                if let weakness = certificate.key.weakness { throw ServiceError(.badRequest, weakness) }
                revocations[certificate.key.fingerprint] = try applicable(certificate, now: now)
            }
            do throws(OpenPGPError) {
                for certificate in certificates { try keyring.adopt(certificate) }
            } catch {
                throw ServiceError(.internalError, "cannot import the checked key: \(error.message)", cause: error)
            }
            for certificate in certificates { try storeKeyMaterial(certificate.key.fingerprint) }
            let keys = certificates.map { (try? keyring.key($0.key.fingerprint)) ?? nil ?? $0.key }
            do {
                for key in keys {
                    try metadata.upsertSigner(SignerRecord(
                        fingerprint: key.fingerprint, userIDs: key.userIDs, algorithm: key.algorithm, created: key.created,
                        expires: key.expires, importedAt: now))
                    if let revocation = revocations[key.fingerprint] {
                        try metadata.recordRevocation(key.fingerprint, at: revocation.created,
                                                      kind: revocation.isSoft ? .soft : .hard, audit: nil)
                    }
                    if let repository {
                        _ = try metadata.trust(RepositoryTrustRecord(repository: repository, fingerprint: key.fingerprint,
                                                                     addedAt: now, addedBy: actor),
                                               audit: AuditEvent(at: now, repository: repository, actor: actor, action: .trust,
                                                                 outcome: .trusted, subject: key.fingerprint))
                    }
                }
            } catch {
                throw ServiceError(.internalError, "cannot record the key: \(error)", cause: error)
            }
            return keys
        }
    }

    /// Applies a revocation certificate for `fingerprint`: a key revocation, or a revocation of
    /// one of its subkeys (which counts as hard for what that subkey signed). Only revocations
    /// GnuPG validated count (forged packets change nothing), the hardest decides hard or soft,
    /// and one dated in the future is refused. The certificate is checked in a throwaway home
    /// beside the key's current copy, and only that key's checked packets are imported, so a
    /// refused certificate, or other keys it carries, leave the keyring as it was.
    public func revoke(_ fingerprint: String, certificate: [UInt8], actor: String) throws(ServiceError) -> SignerStanding.Revocation {
        try serialized { () throws(ServiceError) in
            let checked = try checkRevocation(fingerprint, certificate: certificate)
            do throws(OpenPGPError) {
                try keyring.adopt(checked.certificate)
            } catch {
                throw ServiceError(.internalError, "cannot import the checked revocation: \(error.message)", cause: error)
            }
            try storeKeyMaterial(fingerprint)
            let kind = checked.kind
            let revocation = checked.signature
            do {
                let audit = AuditEvent(
                    at: Date(), repository: nil, actor: actor, action: .revoke, outcome: kind == .soft ? .soft : .hard,
                    subject: fingerprint,
                    detail: try AuditDetail(AuditDetails.Revoked(
                        reason: revocation.reasonText, revokedAt: revocation.created,
                        subkeys: checked.certificate.subkeyRevocations.keys.sorted().joined(separator: ","))))
                if checked.isSubkey {
                    // The key itself stands: GnuPG now lists the subkey revoked, which fails what it signed.
                    try metadata.appendAudit(audit)
                } else {
                    try metadata.recordRevocation(fingerprint, at: revocation.created, kind: kind, audit: audit)
                }
            } catch {
                throw ServiceError(.internalError, "cannot record the revocation: \(error)", cause: error)
            }
            return SignerStanding.Revocation(at: revocation.created, isSoft: kind == .soft)
        }
    }

    /// A revocation certificate GnuPG checked for one key, not applied yet.
    package struct CheckedRevocation: Sendable {
        let certificate: CheckedCertificate
        /// The revocation that decides: the key's own, or (`isSubkey`) the earliest of a subkey's.
        let signature: RevocationSignature
        let isSubkey: Bool
        package let kind: SignerRecord.RevocationKind
        package var at: Date { signature.created }

        /// The trust change this revocation makes, for a preview of what it quarantines.
        package var change: TrustChange {
            .revoked(certificate.key.fingerprint,
                     isSubkey ? nil : SignerStanding.Revocation(at: signature.created, isSoft: kind == .soft),
                     subkeys: Set(certificate.subkeyRevocations.keys))
        }
    }

    /// Checks a revocation certificate for `fingerprint` in a throwaway home, changing nothing
    /// (`revoke` applies it): only revocations GnuPG validated count, the hardest decides, one
    /// dated in the future is refused.
    package func checkRevocation(_ fingerprint: String, certificate: [UInt8]) throws(ServiceError) -> CheckedRevocation {
        guard (try? metadata.signer(fingerprint)) ?? nil != nil else {
            throw ServiceError(.notFound, "signer \(fingerprint) is not known")
        }
        let checked: CheckedCertificate?
        do throws(OpenPGPError) {
            checked = try keyring.check(certificate, alongside: fingerprint).first
        } catch {
            throw ServiceError(.badRequest, "GnuPG refused the revocation certificate: \(error.message)")
        }
        let noRevocation = ServiceError(.badRequest, "the certificate holds no valid revocation of \(fingerprint) "
            + "(GnuPG checked each signature; a certificate for another key or an altered one does not count)")
        guard let checked else { throw noRevocation }
        if let keyRevocation = try applicable(checked, now: Date()) {
            return CheckedRevocation(certificate: checked, signature: keyRevocation, isSubkey: false,
                                     kind: keyRevocation.isSoft ? .soft : .hard)
        }
        if let subkeyRevocation = checked.subkeyRevocations.values.joined().min(by: { $0.created < $1.created }) {
            // A subkey revocation counts as hard for what that subkey signed.
            return CheckedRevocation(certificate: checked, signature: subkeyRevocation, isSubkey: true, kind: .hard)
        }
        throw noRevocation
    }

    /// The key revocation that applies to a checked certificate (the shared rule), every
    /// validated revocation of it, subkeys' included, refused when dated in the future.
    private func applicable(_ certificate: CheckedCertificate, now: Date) throws(ServiceError) -> RevocationSignature? {
        let skew = verifier.configuration.maximumClockSkew
        do {
            return try certificate.applicableRevocation(now: now, skew: skew)
        } catch {
            throw ServiceError(.badRequest, "\(certificate.key.fingerprint): \(error.message)")
        }
    }

    /// Runs `body` alone: check, import and record of one change never interleave with another's
    /// (two revocations racing would otherwise each record what it saw).
    private func serialized<T>(_ body: () throws(ServiceError) -> T) throws(ServiceError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func distrust(_ fingerprint: String, repository: String, actor: String) throws(ServiceError) {
        let removed: Bool
        do {
            removed = try metadata.distrust(repository: repository, fingerprint: fingerprint, audit: AuditEvent(
                at: Date(), repository: repository, actor: actor, action: .distrust, outcome: .distrusted,
                subject: fingerprint))
        } catch {
            throw ServiceError(.internalError, "cannot record the change: \(error)", cause: error)
        }
        guard removed else { throw ServiceError(.notFound, "\(fingerprint) is not trusted for this repository") }
    }
}
