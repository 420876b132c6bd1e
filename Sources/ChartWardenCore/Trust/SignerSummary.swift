import Foundation
import Storage

/// A signer as the admin API and `chartwarden keys list` show it: the key, its state, where it
/// is trusted and what it signed. Optional fields are absent when there is nothing to say.
public struct SignerSummary: Encodable, Sendable {
    public struct Revocation: Encodable, Sendable {
        public let at: Date
        public let kind: String
    }

    public struct Subkey: Encodable, Sendable {
        public let fingerprint: String
        public let algorithm: String
        public let canSign: Bool
        public let created: Date?
        public let expires: Date?
        public let revoked: Bool
    }

    public struct SignedChart: Encodable, Sendable {
        public let repository: String
        public let name: String
        public let version: String
        public let status: String
        public let signedAt: Date?
    }

    public let fingerprint: String
    public let userIDs: [String]
    public let algorithm: String
    public let created: Date?
    public let expires: Date?
    public let expired: Bool
    public let revoked: Revocation?
    public let repositories: [String]
    public let chartsSigned: Int
    public let lastSignature: Date?
    public let subkeys: [Subkey]
    public let charts: [SignedChart]?
}
