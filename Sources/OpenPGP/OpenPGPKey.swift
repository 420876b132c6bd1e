import Foundation

/// A public key as GnuPG sees it, copied out of GPGME so no C type escapes.
public struct OpenPGPKey: Sendable, Equatable {
    public struct Subkey: Sendable, Equatable {
        public var fingerprint: String
        /// GPGME's algorithm string: `rsa3072`, `ed25519`, `nistp384`, ...
        public var algorithm: String
        public var created: Date?
        public var expires: Date?
        public var isRevoked: Bool
        public var isExpired: Bool
        public var canSign: Bool
    }

    /// The primary key's fingerprint (uppercase hex), the identity trust is granted to.
    public var fingerprint: String
    public var userIDs: [String]
    /// The primary first, then subkeys.
    public var subkeys: [Subkey]
    public var isRevoked: Bool
    public var isExpired: Bool

    public var primary: Subkey { subkeys[0] }
    public var algorithm: String { primary.algorithm }
    public var created: Date? { primary.created }
    public var expires: Date? { primary.expires }

    /// The key or subkey with this fingerprint (or 16-hex-digit key id suffix).
    public func subkey(matching fingerprintOrKeyID: String) -> Subkey? {
        let wanted = fingerprintOrKeyID.uppercased()
        return subkeys.first { $0.fingerprint == wanted || (wanted.count == 16 && $0.fingerprint.hasSuffix(wanted)) }
    }
}

/// One signature of a verified message, as GPGME reported it.
public struct OpenPGPSignature: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// Cryptographically good (GPGME status no error), whatever the key's state.
        case good
        /// The signature does not match the signed text.
        case bad
        /// No key in the keyring to check it with.
        case missingKey
        /// GPGME reported another error (text included).
        case error(String)
    }

    public var status: Status
    /// The fingerprint (or key id) of the key that made it: a subkey for subkey signers.
    public var signingKey: String
    public var created: Date?
    /// The signature's own expiry, when set.
    public var expires: Date?
    /// `SHA512`, `SHA256`, `SHA1`, ...
    public var hashAlgorithm: String
    public var publicKeyAlgorithm: String
    /// GPGME's summary flags said the key was revoked / expired (informational: ChartWarden
    /// decides validity from times itself).
    public var keyRevokedFlag: Bool
    public var keyExpiredFlag: Bool
    /// GPGME's summary said the signature itself is past its expiry (by the real clock).
    public var signatureExpiredFlag: Bool
}

/// The result of verifying a clear-signed message: what was signed and by whom.
public struct ClearsignedVerification: Sendable, Equatable {
    /// The signed text, dash-escaping removed, exactly as the signature covers it.
    public var plaintext: [UInt8]
    public var signatures: [OpenPGPSignature]
}

/// What an import did. GnuPG names the keys it imported, but not the key a bare revocation
/// certificate applied to: that one is counted only.
public struct ImportResult: Sendable, Equatable {
    public var keys: [ImportedKey]
    public var newRevocations: Int
}

/// A key an import added, changed or found unchanged.
public struct ImportedKey: Sendable, Equatable {
    public var fingerprint: String
    /// Whether the import brought in something new (key, user id, signature, subkey, revocation).
    public var changed: Bool
}
