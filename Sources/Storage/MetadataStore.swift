/// Chart and audit metadata. A protocol so that PostgreSQL can stand behind it when ChartWarden
/// runs as several replicas; callers rely on nothing SQLite-specific.
public protocol MetadataStore: Sendable {
    func ensureRepository(_ name: String) throws(StorageError)
    /// Inserts a chart version in one transaction, together with its audit event. A second row
    /// for the same (repository, name, version) fails with `.conflict`.
    func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?) throws(StorageError) -> ChartVersionRecord
    func chart(repository: String, name: String, version: String) throws(StorageError) -> ChartVersionRecord?
    func charts(repository: String, statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord]
    func updateStatus(id: Int64, to status: ChartStatus, reason: String?) throws(StorageError)
    func appendAudit(_ event: AuditEvent) throws(StorageError)
    func auditEvents(repository: String?, limit: Int) throws(StorageError) -> [AuditEvent]
}
