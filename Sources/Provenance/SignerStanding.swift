import Foundation

/// What ChartWarden's own trust store says about a signing key for one repository. GnuPG's
/// ownertrust and web of trust play no part.
public struct SignerStanding: Sendable, Equatable {
    public struct Revocation: Sendable, Equatable {
        public var at: Date
        /// Soft (superseded, retired): signatures made before `at` stay valid.
        public var isSoft: Bool

        public init(at: Date, isSoft: Bool) {
            self.at = at
            self.isSoft = isSoft
        }
    }

    public var isTrusted: Bool
    public var revocation: Revocation?

    public init(isTrusted: Bool, revocation: Revocation? = nil) {
        self.isTrusted = isTrusted
        self.revocation = revocation
    }
}
