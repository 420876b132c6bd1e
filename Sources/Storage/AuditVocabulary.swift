import Foundation

/// What an audit event records: the closed set of actions the server takes or refuses.
public enum AuditAction: String, Codable, Sendable, CaseIterable {
    case upload
    /// A forced upload over a published version.
    case overwrite
    /// A signed upload that replaces another writer's stage.
    case supersede
    case provenance
    case delete
    case stage
    case quarantine
    case restore
    case trust
    case distrust
    case revoke
    case authenticate
    /// Scoped API tokens: created and revoked.
    case token
}

/// How an audited action ended.
public enum AuditOutcome: String, Codable, Sendable, CaseIterable {
    /// Published (the chart's new status).
    case active
    /// Staged, waiting for its prov.
    case pending
    case published
    case stored
    case rejected
    case deleted
    case quarantined
    case expired
    case dropped
    case trusted
    case distrusted
    /// Revocations: a compromised key (`hard`) or a retired one (`soft`).
    case hard
    case soft
    case denied
    /// The same bytes again for a published version (an idempotent push or upload): nothing changed.
    case unchanged
    case rateLimited = "rate-limited"
    /// An OIDC workload token accepted (audited once per token).
    case accepted
    /// API tokens.
    case created
    case revoked

    /// The outcome that records a chart reaching `status`.
    public init(_ status: ChartStatus) {
        self = switch status {
        case .active: .active
        case .pending: .pending
        case .quarantined: .quarantined
        case .deleted: .deleted
        }
    }
}

/// JSON stored in text columns (audit details, verdicts), always written by this one encoder:
/// sorted keys, ISO 8601 dates. Never built by string interpolation, so no value a client
/// chooses (a certificate CN, a user name, a chart name) can add or change a field.
public enum StoredJSON {
    public static func encode(_ value: some Encodable) throws(StorageError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StorageError(.corrupt, "cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }
}

/// The detail of an audit event: a `Codable` value, encoded by `StoredJSON`.
public struct AuditDetail: Sendable, Equatable {
    public let json: String

    public init(_ value: some Encodable) throws(StorageError) {
        json = try StoredJSON.encode(value)
    }
}
