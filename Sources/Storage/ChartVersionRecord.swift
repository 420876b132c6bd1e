import Foundation
import GRDB

/// Where a stored chart version stands. Only `active` versions are served.
public enum ChartStatus: String, Codable, Sendable, CaseIterable {
    /// Published: in the index and downloadable.
    case active
    /// Staged, waiting for its provenance file; invisible everywhere.
    case pending
    /// Withheld after a trust change; bytes kept, restorable by an admin.
    case quarantined
    /// Removed from the index; bytes kept until purged.
    case deleted
}

/// One row of `chart_versions`.
public struct ChartVersionRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "chart_versions"

    public var id: Int64?
    public var repository: String
    public var name: String
    public var version: String
    /// SHA-256 of the `.tgz`, the key of its blob.
    public var digest: String
    public var size: Int64
    public var created: Date
    public var uploader: String
    public var status: ChartStatus
    public var statusReason: String?
    /// Chart.yaml metadata as JSON (the `ChartMetadata` model), so the index can be rebuilt
    /// without reopening archives.
    public var metadata: String
    /// SHA-256 of the stored `.prov`, when there is one.
    public var provenanceDigest: String?

    public init(id: Int64? = nil, repository: String, name: String, version: String, digest: String, size: Int64,
                created: Date, uploader: String, status: ChartStatus, statusReason: String? = nil,
                metadata: String, provenanceDigest: String? = nil) {
        self.id = id
        self.repository = repository
        self.name = name
        self.version = version
        self.digest = digest
        self.size = size
        self.created = created
        self.uploader = uploader
        self.status = status
        self.statusReason = statusReason
        self.metadata = metadata
        self.provenanceDigest = provenanceDigest
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// One row of `audit_events`: who did what to which chart or key, and how it ended.
public struct AuditEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit_events"

    public var id: Int64?
    public var at: Date
    public var repository: String?
    public var actor: String
    public var action: AuditAction
    public var outcome: AuditOutcome
    public var subject: String?
    /// JSON detail (failed checks, reasons), written only from an `AuditDetail`.
    public private(set) var detail: String?

    public init(id: Int64? = nil, at: Date, repository: String?, actor: String, action: AuditAction,
                outcome: AuditOutcome, subject: String? = nil, detail: AuditDetail? = nil) {
        self.id = id
        self.at = at
        self.repository = repository
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.subject = subject
        self.detail = detail?.json
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
