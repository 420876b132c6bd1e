import Foundation

/// The outcome of verifying a chart against its `.prov` (README, "Provenance"): every check by name
/// with its outcome, and the facts that were established on the way.
public struct ProvenanceVerdict: Sendable, Equatable, Codable {
    /// The checks, in the order they are reported. Names are part of the API (403 bodies, the
    /// admin API, `chartwarden verify`).
    public enum CheckName: String, Sendable, Codable, CaseIterable {
        /// One clear-signed message with one signature, nothing before or after it.
        case envelope
        /// GnuPG found the signature cryptographically good.
        case signature
        /// SHA-256 or stronger.
        case hashAlgorithm = "hash-algorithm"
        /// The signer's primary key is trusted for this repository.
        case trustedSigner = "trusted-signer"
        /// Key and signing subkey existed and had not expired at signing time, have not now, and
        /// are strong enough (no RSA/DSA under 2048 bits, no ElGamal signing).
        case keyValidity = "key-validity"
        /// Not revoked (hard), or revoked softly only after the signature was made.
        case revocation
        /// Not dated in the future beyond the allowed clock skew.
        case signatureTime = "signature-time"
        /// Not past the expiry the signer set on the signature itself.
        case signatureExpiry = "signature-expiry"
        /// Helm's layout: Chart.yaml, a `...` line, then `files:`.
        case bodyLayout = "body-layout"
        /// The body's name and version are the uploaded chart's.
        case chartIdentity = "chart-identity"
        /// `files` holds exactly `N-V.tgz` with the SHA-256 of the uploaded bytes.
        case fileDigest = "file-digest"
    }

    public struct Check: Sendable, Equatable, Codable {
        public var name: CheckName
        public var passed: Bool
        public var detail: String

        public init(name: CheckName, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public var checks: [Check]
    /// Primary key fingerprint of the signer, when the signature could be attributed.
    public var signerFingerprint: String?
    /// The (sub)key that made the signature.
    public var signingKeyFingerprint: String?
    public var signerUserID: String?
    public var signedAt: Date?
    public var hashAlgorithm: String?
    /// `sha256:<hex>` of the chart bytes that were verified.
    public var chartDigest: String

    public init(checks: [Check], signerFingerprint: String? = nil, signingKeyFingerprint: String? = nil,
                signerUserID: String? = nil, signedAt: Date? = nil, hashAlgorithm: String? = nil, chartDigest: String) {
        self.checks = checks
        self.signerFingerprint = signerFingerprint
        self.signingKeyFingerprint = signingKeyFingerprint
        self.signerUserID = signerUserID
        self.signedAt = signedAt
        self.hashAlgorithm = hashAlgorithm
        self.chartDigest = chartDigest
    }

    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var failedChecks: [String] { checks.filter { !$0.passed }.map(\.name.rawValue) }

    public func check(_ name: CheckName) -> Check? { checks.first { $0.name == name } }

    /// One sentence for a 403 body or a CLI line.
    public var summary: String {
        if passed { return "provenance verified: signed by \(signerFingerprint ?? "?")" }
        let failures = checks.filter { !$0.passed }.map { "\($0.name.rawValue): \($0.detail)" }
        return "provenance rejected: " + failures.joined(separator: "; ")
    }
}
