import Foundation
import PostgresNIO
import Storage

/// The audit log: appended in the transactions of what it records, or alone.
extension PostgresMetadataStore {
    public func appendAudit(_ event: AuditEvent) throws(StorageError) {
        if let entry = JournalEntry.alone(event) {
            try database.transaction { session throws(StorageError) in
                try Self.insert(event, session)
                try Self.journal(entry, session)
            }
        } else {
            try database.withConnection { session throws(StorageError) in try Self.insert(event, session) }
        }
    }

    public func auditEvents(_ query: AuditQuery) throws(StorageError) -> [AuditEvent] {
        // Each filter adds a condition with its value bound (never spliced into the SQL).
        var conditions: [String] = []
        var bindings = PostgresBindings()
        func filter(_ column: String, _ comparison: String, _ value: (some PostgresNonThrowingEncodable)?) {
            guard let value else { return }
            bindings.append(value)
            conditions.append("\(column) \(comparison) $\(bindings.count)")
        }
        filter("repository", "=", query.repository)
        filter("outcome", "=", query.outcome)
        filter("action", "=", query.action)
        filter("at", ">=", query.since)
        filter("id", "<", query.beforeID)
        bindings.append(query.limit)
        let sql = "SELECT \(PostgresRows.auditColumns) FROM audit_events"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY id DESC LIMIT $\(bindings.count)"
        return try database.withConnection { session throws(StorageError) in
            try session.query(PostgresQuery(unsafeSQL: sql, binds: bindings))
                .map { row throws(StorageError) in try PostgresRows.audit(row) }
        }
    }
}
