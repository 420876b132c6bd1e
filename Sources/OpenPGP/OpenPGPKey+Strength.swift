/// Which keys are too weak to sign charts, judged on GPGME's algorithm strings (`rsa3072`,
/// `dsa1024`, `elg2048`, `ed25519`, ...). Shared by key import (refused with the reason) and
/// verification (a weak key already in a keyring fails `key-validity`).
extension OpenPGPKey {
    /// RSA and DSA below this many bits are refused: 1024-bit moduli are within reach.
    public static let minimumFactoringBits = 2_048

    /// Why this key may not sign charts, or nil. The primary key (it certifies, and signs when
    /// it has no signing subkey) and every signing subkey are judged; encryption subkeys are not.
    public var weakness: String? {
        for (index, part) in subkeys.enumerated() where index == 0 || part.canSign {
            if let problem = Self.weakness(algorithm: part.algorithm) {
                return "\(part.fingerprint) is \(part.algorithm): \(problem)"
            }
        }
        return nil
    }

    /// Curves that may sign, as GPGME names them (EdDSA and ECDSA keys carry the curve name).
    public static let signingCurves: Set<String> = [
        "ed25519", "ed448", "nistp256", "nistp384", "nistp521",
        "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "secp256k1",
    ]

    /// Why a key of `algorithm` may not sign, or nil when it may. An allowlist: RSA and DSA of
    /// enough bits, and the curves above; anything else (ElGamal, unknown or future algorithms
    /// GnuPG names but ChartWarden has not judged) is refused by name.
    public static func weakness(algorithm: String) -> String? {
        if signingCurves.contains(algorithm) { return nil }
        for (prefix, name) in [("rsa", "RSA"), ("dsa", "DSA")] where algorithm.hasPrefix(prefix) {
            if let bits = Int(algorithm.dropFirst(prefix.count)) {
                return bits < minimumFactoringBits ? "\(name) keys need at least \(minimumFactoringBits) bits" : nil
            }
        }
        return "\(algorithm) keys are not accepted for signing (use RSA-2048+, DSA-2048+, Ed25519, Ed448 or "
            + "ECDSA on a NIST, Brainpool or secp256k1 curve)"
    }
}
