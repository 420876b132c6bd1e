import ContentPolicy
import Foundation

/// The detail of each kind of audit event, as `Codable` values: `AuditDetail` encodes them with
/// the one shared encoder. Optional fields are left out when absent.
package enum AuditDetails {
    /// An upload, published, staged or refused: the provenance verdict (failed checks, signer,
    /// why), staging, and the content policy's verdict.
    package struct Upload: Codable, Sendable {
        var failedChecks: [String]?
        var signer: String?
        var reasons: [String]?
        var pending: String?
        var provenance: Bool?
        var contentPolicy: ContentPolicyVerdict?
    }

    /// A lone chart refused because its version is already staged.
    package struct StageNotRenewed: Codable, Sendable {
        var reason = "already staged; a stage is not renewed"
        let stagedBy: String
        let stagedAt: Date
    }

    /// A prov attached to a stored or staged chart.
    package struct ProvenanceAttached: Codable, Sendable {
        let signer: String
        let passed: Bool
    }

    /// A stage dropped: expired, or impossible to publish.
    package struct StageRemoved: Codable, Sendable {
        let uploader: String
        let reason: String
    }

    package struct Quarantined: Codable, Sendable {
        let signer: String
        /// Comma-separated check names.
        let failedChecks: String
    }

    package struct Restored: Codable, Sendable {
        let previousReason: String
    }

    package struct Revoked: Codable, Sendable {
        let reason: String
        let revokedAt: Date
        /// Comma-separated fingerprints of revoked subkeys.
        let subkeys: String
    }

    /// A refused authentication: why, from where, and for client certificates refused in TLS
    /// handshakes the reasons and count of one address's minute.
    package struct AuthenticationRefused: Codable, Sendable {
        let reason: String
        let address: String
        var tls: String?
        var count: String?

        /// The public id of a refused API token, when the token had one.
        var token: String?

        package init(reason: String, address: String, tls: String? = nil, count: Int? = nil, token: String? = nil) {
            self.reason = reason
            self.address = address
            self.tls = tls
            self.count = count.map(String.init)
            self.token = token
        }
    }

    /// An OIDC workload token accepted: who issued it, to whom, and the principal it acts as.
    package struct WorkloadLogin: Codable, Sendable {
        let issuer: String
        let subject: String
        let principal: String
        let expiresAt: Date
        let address: String

        package init(issuer: String, subject: String, principal: String, expiresAt: Date, address: String) {
            (self.issuer, self.subject, self.principal, self.expiresAt, self.address) = (issuer, subject, principal, expiresAt, address)
        }
    }

    /// An API token created or revoked (the subject is its principal `token:NAME`).
    package struct TokenChange: Codable, Sendable {
        let id: String
        let repositories: [String]
        let actions: [String]
        let expiresAt: Date
    }
}
