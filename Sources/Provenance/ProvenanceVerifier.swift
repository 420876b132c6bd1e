import Foundation
import OpenPGP
import OpenSSLSupport

/// Verifies a chart and its `.prov` exactly as the README's "Provenance" paragraph says, through GPGME, and reports
/// every check. The same code serves uploads, re-evaluation after a revocation, and
/// `chartwarden verify`. Blocking (gpg runs per call): call it off the event loop.
public struct ProvenanceVerifier: Sendable {
    public struct Configuration: Sendable {
        /// How far in the future a signature may be dated (clocks drift).
        public var maximumClockSkew: TimeInterval = 300
        /// Hash algorithms accepted for the signature: SHA-256 or stronger.
        public var acceptedHashes: Set<String> = ["SHA256", "SHA384", "SHA512"]
        /// A prov larger than this is not a Helm prov.
        public var maximumProvenanceBytes = 1 << 20

        public init() {}
    }

    /// What is being verified.
    public struct Subject: Sendable {
        public var chartName: String
        public var chartVersion: String
        /// SHA-256 of the chart bytes.
        public var chartDigest: SHA256Digest
        public var provenance: [UInt8]

        public init(chartName: String, chartVersion: String, chartDigest: SHA256Digest, provenance: [UInt8]) {
            self.chartName = chartName
            self.chartVersion = chartVersion
            self.chartDigest = chartDigest
            self.provenance = provenance
        }
    }

    public let keyring: OpenPGPKeyring
    public let configuration: Configuration

    public init(keyring: OpenPGPKeyring, configuration: Configuration = .init()) {
        self.keyring = keyring
        self.configuration = configuration
    }

    /// `standing` answers, for a primary fingerprint, whether it is trusted here and whether
    /// ChartWarden recorded a revocation for it. `expiryJudgedAt` is when key and signature
    /// expiry are judged (default `now`): a re-check of a stored chart passes its upload time, so
    /// a signature that merely expired since then does not quarantine it.
    public func verify(_ subject: Subject, now: Date = Date(), expiryJudgedAt: Date? = nil,
                       standing: (String) -> SignerStanding) -> ProvenanceVerdict {
        let expiryReference = expiryJudgedAt ?? now
        var checks: [ProvenanceVerdict.CheckName: ProvenanceVerdict.Check] = [:]
        func record(_ name: ProvenanceVerdict.CheckName, _ passed: Bool, _ detail: String) {
            checks[name] = .init(name: name, passed: passed, detail: detail)
        }
        var verdict = ProvenanceVerdict(checks: [], chartDigest: "sha256:" + subject.chartDigest.hex)

        // 1. Shape, then GnuPG.
        var verification: ClearsignedVerification?
        if subject.provenance.count > configuration.maximumProvenanceBytes {
            record(.envelope, false, "larger than \(configuration.maximumProvenanceBytes) bytes")
        } else if let problem = ClearsignedEnvelope.problem(in: subject.provenance) {
            record(.envelope, false, problem)
        }
        do {
            verification = try keyring.verifyClearsigned(subject.provenance)
        } catch {
            if checks[.envelope] == nil { record(.envelope, false, error.message) }
        }
        if let verification, verification.signatures.count != 1 {
            record(.envelope, false, "\(verification.signatures.count) signatures; exactly one is required")
        }
        if checks[.envelope] == nil { record(.envelope, true, "one clear-signed message, one signature") }

        let signature = verification?.signatures.count == 1 ? verification?.signatures.first : nil
        // 2. The signature itself.
        switch signature?.status {
        case .good?: record(.signature, true, "good signature")
        case .bad?: record(.signature, false, "bad signature: the signed text or the signature was altered")
        case .missingKey?: record(.signature, false, "signed by a key this server does not know (\(signature!.signingKey))")
        case .error(let text)?: record(.signature, false, text)
        case nil: record(.signature, false, "no single signature to check")
        }
        // 3. Hash.
        if let signature {
            verdict.hashAlgorithm = signature.hashAlgorithm
            let strong = configuration.acceptedHashes.contains(signature.hashAlgorithm)
            record(.hashAlgorithm, strong, strong ? signature.hashAlgorithm
                                                  : "\(signature.hashAlgorithm) is too weak; SHA-256 or stronger is required")
        } else {
            record(.hashAlgorithm, false, "no signature")
        }

        // 4–7. Who signed, and was that key valid then and now.
        let key = signature.flatMap { try? keyring.key($0.signingKey) }
        let signedAt = signature?.created
        verdict.signedAt = signedAt
        if let key, let signature {
            verdict.signerFingerprint = key.fingerprint
            verdict.signingKeyFingerprint = key.subkey(matching: signature.signingKey)?.fingerprint ?? signature.signingKey
            verdict.signerUserID = key.userIDs.first
            let standing = standing(key.fingerprint)
            record(.trustedSigner, standing.isTrusted, standing.isTrusted
                   ? "\(key.fingerprint) is trusted for this repository"
                   : "\(key.fingerprint) is not trusted for this repository")
            let signingKey = key.subkey(matching: signature.signingKey) ?? key.primary
            record(.keyValidity, true, "key valid when signed and now")
            var parts = [("key", key.primary)]
            if signingKey.fingerprint != key.primary.fingerprint { parts.append(("signing subkey", signingKey)) }
            for (label, part) in parts {
                if let weakness = OpenPGPKey.weakness(algorithm: part.algorithm) {
                    record(.keyValidity, false, "the \(label) is \(part.algorithm), too weak to sign: \(weakness)")
                } else if let created = part.created, let signedAt, created > signedAt {
                    record(.keyValidity, false, "the \(label) was created after the signature")
                } else if let expires = part.expires, let signedAt, expires <= signedAt {
                    record(.keyValidity, false, "the \(label) had expired when the signature was made (\(Self.format(expires)))")
                } else if let expires = part.expires, expires <= expiryReference {
                    record(.keyValidity, false, "the \(label) expired on \(Self.format(expires))")
                }
            }
            if signingKey.fingerprint != key.primary.fingerprint, signingKey.isRevoked,
               !key.isRevoked || (try? keyring.subkeysRevokedOnTheirOwn(key))?.contains(signingKey.fingerprint) != false {
                // Checked before the key's own record: a soft revocation of the key must not hide
                // a revoked signing subkey (subkey revocations count as hard).
                record(.revocation, false, "the signing subkey \(signingKey.fingerprint) is revoked")
            } else if let revocation = standing.revocation {
                if !revocation.isSoft {
                    record(.revocation, false, "the key was revoked (compromised or no reason given) on \(Self.format(revocation.at))")
                } else if let signedAt, signedAt < revocation.at {
                    record(.revocation, true, "soft revocation on \(Self.format(revocation.at)) is after the signature")
                } else {
                    record(.revocation, false, "the key was retired on \(Self.format(revocation.at)), before the signature")
                }
            } else if key.isRevoked || signingKey.isRevoked {
                // GnuPG knows a revocation ChartWarden has no record of: without its reason and
                // time, it counts as hard.
                record(.revocation, false, "the key is revoked")
            } else {
                record(.revocation, true, "not revoked")
            }
        } else {
            let reason = signature == nil ? "no signature" : "the signing key is unknown"
            record(.trustedSigner, false, reason)
            record(.keyValidity, false, reason)
            record(.revocation, false, reason)
        }
        if let signedAt {
            let future = signedAt.timeIntervalSince(now) > configuration.maximumClockSkew
            record(.signatureTime, !future, future ? "dated \(Self.format(signedAt)), in the future" : Self.format(signedAt))
        } else {
            record(.signatureTime, false, "no signature time")
        }
        if let signature {
            // GPGME's flag is by the real clock: used only when judging now.
            let expired = signature.expires.map { $0 <= expiryReference }
                ?? (expiryJudgedAt == nil && signature.signatureExpiredFlag)
            let detail = signature.expires.map { (expired ? "expired on " : "expires on ") + Self.format($0) } ?? "no expiry"
            record(.signatureExpiry, !expired, expired ? "the signature " + detail : detail)
        } else {
            record(.signatureExpiry, false, "no signature")
        }

        // 8–10. The signed body: read from what GnuPG says was signed, never from the raw file.
        let fileName = "\(subject.chartName)-\(subject.chartVersion).tgz"
        do throws(ProvenanceBodyError) {
            guard let verification, signature != nil else { throw ProvenanceBodyError("no signed text") }
            let body = try HelmProvenanceBody(signedText: verification.plaintext)
            record(.bodyLayout, true, "Helm provenance layout")
            let sameChart = body.name == subject.chartName && body.version == subject.chartVersion
            record(.chartIdentity, sameChart, sameChart ? "\(body.name) \(body.version)"
                   : "the provenance is for \(body.name) \(body.version), not \(subject.chartName) \(subject.chartVersion)")
            let expected = "sha256:" + subject.chartDigest.hex
            if body.files.count != 1 {
                record(.fileDigest, false, "files lists \(body.files.count) entries; exactly \(fileName) is required")
            } else if let digest = body.files[fileName] {
                record(.fileDigest, digest.lowercased() == expected, digest.lowercased() == expected
                       ? expected : "\(fileName) is \(digest) in the provenance but the uploaded bytes are \(expected)")
            } else {
                record(.fileDigest, false, "files names \(body.files.keys.first!), not \(fileName)")
            }
        } catch {
            record(.bodyLayout, false, error.message)
            record(.chartIdentity, false, "the body could not be read")
            record(.fileDigest, false, "the body could not be read")
        }
        verdict.checks = ProvenanceVerdict.CheckName.allCases.compactMap { checks[$0] }
        return verdict
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
