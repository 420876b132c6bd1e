import Foundation
import Storage

/// What the OCI front door adds to ingest: idempotent pushes and the manifest stored with each
/// published version.
extension Ingest {
    /// The published row that already has exactly these bytes (chart and prov), if any: the push
    /// or upload is then a no-op, audited as `unchanged`. Blocking.
    func unchangedVersion(name: String, version: String, digest: String, provenanceDigest: String?, uploader: String,
                          in configuration: ChartWardenConfiguration.Repository, _ stores: Stores) throws(ServiceError)
        -> ChartVersionRecord? {
        do {
            guard let existing = try stores.metadata.chart(repository: configuration.name, name: name, version: version),
                  existing.status == .active, existing.digest == digest, existing.provenanceDigest == provenanceDigest else {
                return nil
            }
            try stores.metadata.appendAudit(AuditEvent(at: Date(), repository: configuration.name, actor: uploader,
                                                       action: .upload, outcome: .unchanged, subject: "\(name)-\(version)"))
            return existing
        } catch {
            throw ServiceError(.internalError, "could not compare \(name) \(version) with the stored version: \(error)")
        }
    }

    /// Stores the manifest of a version just published (or found unchanged): the client's bytes
    /// for an OCI push, else one generated once from the stored chart. Blocking.
    func storeManifest(for stored: ChartVersionRecord, oci: OCIPushedManifest?, _ stores: Stores) throws(ServiceError) {
        guard let oci else {
            // A generated manifest that cannot be written now is generated on the first OCI pull.
            _ = try? GeneratedManifest.current(for: stored, stores)
            return
        }
        do {
            // The config blob is written again under the in-flight guard, so a sweep of old
            // uploads cannot delete it between the read at push and the manifest row.
            try stores.publisher.inFlight.holding([oci.manifest.config.digest]) {
                _ = try stores.blobs.write(oci.config)
                _ = try stores.metadata.insertManifest(oci.record(for: stored))
            }
        } catch {
            throw ServiceError(.internalError, "could not store the manifest of \(stored.name) \(stored.version): \(error)")
        }
    }
}
