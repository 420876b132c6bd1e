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

    /// Why a key of `algorithm` may not sign, or nil when it may.
    public static func weakness(algorithm: String) -> String? {
        if algorithm.hasPrefix("elg") {
            return "ElGamal signing keys are refused (use RSA-2048+, DSA-2048+, ECDSA or Ed25519)"
        }
        for (prefix, name) in [("rsa", "RSA"), ("dsa", "DSA")] where algorithm.hasPrefix(prefix) {
            guard let bits = Int(algorithm.dropFirst(prefix.count)) else { return nil }
            return bits < minimumFactoringBits ? "\(name) keys need at least \(minimumFactoringBits) bits" : nil
        }
        return nil
    }
}
