/// A signer's public key as GnuPG holds it (armored, with the revocations it adopted), kept by a
/// store that is the only durable copy of trust: the PostgreSQL store, from which each replica
/// rebuilds its GnuPG home at start. The embedded store keeps none: its GnuPG home lives in the
/// data directory beside it.
public struct SignerKeyRecord: Sendable, Equatable {
    public var fingerprint: String
    public var armored: String

    public init(fingerprint: String, armored: String) {
        self.fingerprint = fingerprint
        self.armored = armored
    }
}
