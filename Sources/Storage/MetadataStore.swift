import Foundation

/// Chart and audit metadata. A protocol so that PostgreSQL can stand behind it when ChartWarden
/// runs as several replicas; callers rely on nothing SQLite-specific.
public protocol MetadataStore: Sendable {
    func ensureRepository(_ name: String) throws(StorageError)
    /// Inserts a chart version in one transaction, together with its audit event. A second row
    /// for the same (repository, name, version) fails with `.conflict`.
    func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?) throws(StorageError) -> ChartVersionRecord
    func chart(repository: String, name: String, version: String) throws(StorageError) -> ChartVersionRecord?
    func charts(repository: String, statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord]
    /// Replaces the row `id` (a forced overwrite, or a re-upload over a deleted version) in one
    /// transaction with its audit event.
    func replaceChart(id: Int64, with record: ChartVersionRecord, audit: AuditEvent?) throws(StorageError) -> ChartVersionRecord
    func setProvenance(id: Int64, digest: String, audit: AuditEvent?) throws(StorageError)
    func updateStatus(id: Int64, to status: ChartStatus, reason: String?) throws(StorageError)
    func updateStatus(id: Int64, to status: ChartStatus, reason: String?, audit: AuditEvent?) throws(StorageError)
    /// Every repository's active charts at once, for warming index caches at start.
    func allCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord]
    func appendAudit(_ event: AuditEvent) throws(StorageError)
    /// Newest first, filtered; `beforeID` pages backwards.
    func auditEvents(_ query: AuditQuery) throws(StorageError) -> [AuditEvent]
}

/// A filter over the audit log. Nil fields do not filter.
public struct AuditQuery: Sendable, Equatable {
    public var repository: String?
    public var outcome: String?
    public var action: String?
    public var since: Date?
    public var beforeID: Int64?
    public var limit: Int

    public init(repository: String? = nil, outcome: String? = nil, action: String? = nil, since: Date? = nil,
                beforeID: Int64? = nil, limit: Int = 100) {
        self.repository = repository
        self.outcome = outcome
        self.action = action
        self.since = since
        self.beforeID = beforeID
        self.limit = limit
    }
}

extension MetadataStore {
    public func auditEvents(repository: String?, limit: Int) throws(StorageError) -> [AuditEvent] {
        try auditEvents(AuditQuery(repository: repository, limit: limit))
    }
}
