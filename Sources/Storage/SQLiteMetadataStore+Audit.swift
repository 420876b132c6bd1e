import Foundation
import GRDB

/// The audit log: appended in the transactions of what it records, or alone.
extension SQLiteMetadataStore {
    public func appendAudit(_ event: AuditEvent) throws(StorageError) {
        try write { db in
            var event = event
            try event.insert(db)
            try Self.journal(JournalEntry.alone(event), db)
        }
    }

    public func auditEvents(_ query: AuditQuery) throws(StorageError) -> [AuditEvent] {
        try read { db in
            var request = AuditEvent.order(Column("id").desc).limit(query.limit)
            if let repository = query.repository { request = request.filter(Column("repository") == repository) }
            if let outcome = query.outcome { request = request.filter(Column("outcome") == outcome) }
            if let action = query.action { request = request.filter(Column("action") == action) }
            if let since = query.since { request = request.filter(Column("at") >= since) }
            if let beforeID = query.beforeID { request = request.filter(Column("id") < beforeID) }
            return try request.fetchAll(db)
        }
    }
}
