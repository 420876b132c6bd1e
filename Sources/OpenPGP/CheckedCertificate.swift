import Foundation

/// One key of some OpenPGP data as a throwaway GnuPG home saw it (`OpenPGPKeyring.check`):
/// what importing it would do, and the only packets of it that may enter a real keyring.
public struct CheckedCertificate: Sendable, Equatable {
    /// The key as GnuPG lists it from the cleaned certificate.
    public var key: OpenPGPKey
    /// Key revocations (type 0x20) GnuPG validated, each on its own.
    public var keyRevocations: [RevocationSignature]
    /// Subkey revocations (type 0x28) GnuPG validated, by the fingerprint of the subkey revoked.
    public var subkeyRevocations: [String: [RevocationSignature]]
    /// The key's packets without any revocation signature GnuPG did not validate.
    public var cleaned: [UInt8]
}

extension CheckedCertificate {
    /// The key revocation that applies (`RevocationSignature.applicable`), refused when any
    /// validated revocation of the key or of a subkey is dated in the future.
    public func applicableRevocation(now: Date, skew: TimeInterval) throws(OpenPGPError) -> RevocationSignature? {
        _ = try RevocationSignature.applicable(Array(subkeyRevocations.values.joined()), now: now, skew: skew)
        return try RevocationSignature.applicable(keyRevocations, now: now, skew: skew)
    }
}
