import Foundation
import Storage

/// What writers change: uploads (validation, the content policy, the provenance gate), provs
/// attached later, stages and their expiry, deletes. Every store call goes through `work`.
package final class Ingest: Sendable {
    let work: BlockingWork<Stores>
    let catalog: Catalog
    let provenanceGate: any ProvenanceGate
    let audit: AuditLog

    package init(work: BlockingWork<Stores>, catalog: Catalog, provenanceGate: any ProvenanceGate, audit: AuditLog) {
        self.work = work
        self.audit = audit
        self.catalog = catalog
        self.provenanceGate = provenanceGate
    }

    /// Removes a version from the index and from downloads; the bytes stay until purged. A
    /// quarantined version only when `byGlobalAdmin`: a quarantine is a judgement on a signer that
    /// only a global admin may overrule (restore), and a delete followed by a re-upload of the
    /// same bytes would overrule it.
    package func delete(name: String, version: String, from repository: ChartRepository, actor: String,
                        byGlobalAdmin: Bool = false) async throws(ServiceError) {
        let configuration = repository.configuration
        try await work.run { (stores, onPool) throws(ServiceError) in
            do {
                // A quarantined version may be deleted too (on both doors), by a global admin.
                guard let record = try stores.metadata.chart(repository: configuration.name, name: name, version: version),
                      record.status == .active || record.status == .quarantined, let id = record.id else {
                    throw ServiceError(.notFound, "chart \(name) version \(version) not found")
                }
                guard record.status == .active || byGlobalAdmin else {
                    throw ServiceError(.forbidden, "\(name) \(version) is quarantined: only a global admin may delete it, "
                        + "as only one may restore it")
                }
                try stores.metadata.updateStatus(id: id, to: .deleted, reason: "deleted by \(actor)", audit: AuditEvent(
                    at: Date(), repository: configuration.name, actor: actor, action: .delete, outcome: .deleted,
                    subject: "\(name)-\(version)"))
                repository.didRemove(name: name, version: version, onPool)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "could not delete \(name) \(version): \(error)", cause: error)
            }
        }
    }
}
