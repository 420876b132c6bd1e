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

    /// Imports public keys and trusts each for `repository` (when given). RSA below 2048 bits
    /// is refused before anything is recorded.
    public func importKeys(_ bytes: [UInt8], trustFor repository: String?, actor: String) throws(ServiceError) -> [OpenPGPKey] {
        let result: ImportResult
        do {
            result = try keyring.importKeys(bytes)
        } catch {
            throw ServiceError(.badRequest, "not an OpenPGP public key: \(error.message)")
        }
        var keys: [OpenPGPKey] = []
        for imported in result.keys {
            guard let key = try? keyring.key(imported.fingerprint) else { continue }
            if let bits = Self.rsaBits(key.algorithm), bits < 2_048 {
                throw ServiceError(.badRequest, "\(key.fingerprint) is \(key.algorithm): RSA keys need at least 2048 bits")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw ServiceError(.badRequest, "the data holds no public key") }
        let now = Date()
        do {
            for key in keys {
                try metadata.upsertSigner(SignerRecord(
                    fingerprint: key.fingerprint, userIDs: key.userIDs, algorithm: key.algorithm, created: key.created,
                    expires: key.expires, importedAt: now))
                if key.isRevoked, try metadata.signer(key.fingerprint)?.revokedAt == nil {
                    // Arrived already revoked: without a readable reason this counts as hard.
                    let revocation = (try? RevocationSignature.parse(bytes))?.first { $0.issuerFingerprint == key.fingerprint }
                    try metadata.recordRevocation(key.fingerprint, at: revocation?.created ?? now,
                                                  kind: revocation?.isSoft == true ? .soft : .hard, audit: nil)
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

    /// Applies a revocation certificate for `fingerprint`: GnuPG must accept it (the key then
    /// shows as revoked) and its reason decides hard or soft.
    public func revoke(_ fingerprint: String, certificate: [UInt8], actor: String) throws(ServiceError) -> SignerStanding.Revocation {
        guard (try? metadata.signer(fingerprint)) ?? nil != nil else {
            throw ServiceError(.notFound, "signer \(fingerprint) is not known")
        }
        let signatures: [RevocationSignature]
        do {
            signatures = try RevocationSignature.parse(certificate)
        } catch {
            throw ServiceError(.badRequest, "not a revocation certificate: \(error.message)")
        }
        guard let revocation = signatures.first(where: { $0.target == .key && Self.names($0, fingerprint) }) else {
            throw ServiceError(.badRequest, "the certificate does not revoke \(fingerprint)")
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
                at: Date(), repository: nil, actor: actor, action: "revoke", outcome: kind.rawValue, subject: fingerprint,
                detail: Self.json(["reason": revocation.reasonText, "revokedAt": ISO8601DateFormatter().string(from: revocation.created)])))
        } catch {
            throw ServiceError(.internalError, "cannot record the revocation: \(error)")
        }
        return SignerStanding.Revocation(at: revocation.created, isSoft: revocation.isSoft)
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

    private static func names(_ revocation: RevocationSignature, _ fingerprint: String) -> Bool {
        if let issuer = revocation.issuerFingerprint { return issuer == fingerprint }
        if let keyID = revocation.issuerKeyID { return fingerprint.hasSuffix(keyID) }
        return false
    }

    private static func rsaBits(_ algorithm: String) -> Int? {
        algorithm.hasPrefix("rsa") ? Int(algorithm.dropFirst(3)) : nil
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
