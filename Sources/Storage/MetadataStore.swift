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
    func auditEvents(repository: String?, limit: Int) throws(StorageError) -> [AuditEvent]
}
