import Storage

/// The audit log: reading it, and appending events that describe no stored change of their own
/// (refused authentications). Events of a change are written by the store in that change's
/// transaction.
package final class AuditLog: Sendable {
    private let work: BlockingWork<Stores>

    package init(work: BlockingWork<Stores>) {
        self.work = work
    }

    package func events(_ query: AuditQuery) async throws(ServiceError) -> [AuditEvent] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.auditEvents(query)
            } catch {
                throw ServiceError(.internalError, "cannot read the audit log")
            }
        }
    }

    package func append(_ events: [AuditEvent]) async throws(ServiceError) {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                for event in events { try stores.metadata.appendAudit(event) }
            } catch {
                throw ServiceError(.internalError, "cannot write the audit log: \(error)")
            }
        }
    }
}
