import Logging
import Metrics
import Storage

/// The audit log. Events of a change are written by the store in that change's transaction;
/// this reads the log, appends events that describe no stored change (refused
/// authentications), and is where every failed audit write is logged and counted. A failed
/// audit write fails the operation: it is never ignored.
package final class AuditLog: Sendable {
    private let work: BlockingWork<Stores>
    private let failures: Counter
    private let logger = Logger(label: "chartwarden.audit")

    package init(work: BlockingWork<Stores>, metricsFactory: any MetricsFactory) {
        self.work = work
        failures = Counter(label: "chartwarden_audit_write_failures_total", dimensions: [], factory: metricsFactory)
    }

    package func events(_ query: AuditQuery) async throws(ServiceError) -> [AuditEvent] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.auditEvents(query)
            } catch {
                throw ServiceError(.internalError, "cannot read the audit log", cause: error)
            }
        }
    }

    /// Appends events that record no change of their own.
    package func append(_ events: [AuditEvent]) async throws(ServiceError) {
        try await work.run { [self] (stores, _) throws(ServiceError) in
            do {
                for event in events { try stores.metadata.appendAudit(event) }
            } catch {
                throw failed(error, writing: events.first.map { "\($0.action.rawValue) \($0.outcome.rawValue)" } ?? "")
            }
        }
    }

    /// Logs and counts a failed audit write (or the encoding of its detail); returns the error
    /// that fails the operation.
    package func failed(_ error: any Error, writing what: String) -> ServiceError {
        failures.increment()
        logger.error("audit write failed", metadata: ["event": "\(what)", "error": "\(error)"])
        return ServiceError(.internalError, "the audit log could not be written", cause: error)
    }
}
