import Foundation
import Storage

/// What the OCI front door adds to ingest: idempotent pushes and the manifest stored with each
/// published version.
extension Ingest {
    /// The manifests kept per version: the one its tag names and the newest re-push of the same
    /// bytes (pullable by its digest, as the pushing client may ask right after).
    static let manifestsPerVersion = 2

    /// The published row that already has exactly these bytes (chart and prov), if any: the push
    /// or upload is then a no-op, audited as `unchanged`. Blocking.
    /// An OCI push's manifest is stored (or refused, see `storeManifest`) before that audit.
    func unchangedVersion(name: String, version: String, digest: String, provenanceDigest: String?, uploader: String,
                          oci: OCIPushedManifest? = nil, in configuration: ChartWardenConfiguration.Repository,
                          _ stores: Stores) throws(ServiceError) -> ChartVersionRecord? {
        let found: ChartVersionRecord?
        do {
            found = try stores.metadata.chart(repository: configuration.name, name: name, version: version)
        } catch {
            throw ServiceError(.internalError, "could not compare \(name) \(version) with the stored version: \(error)", cause: error)
        }
        guard let existing = found, existing.status == .active, existing.digest == digest,
              existing.provenanceDigest == provenanceDigest else {
            return nil
        }
        try storeManifest(for: existing, oci: oci, stores)
        do {
            try stores.metadata.appendAudit(AuditEvent(at: Date(), repository: configuration.name, actor: uploader,
                                                       action: .upload, outcome: .unchanged, subject: "\(name)-\(version)"))
            return existing
        } catch {
            throw ServiceError(.internalError, "could not compare \(name) \(version) with the stored version: \(error)", cause: error)
        }
    }

    /// Stores the manifest of a version found unchanged (published versions store theirs in the
    /// publish transaction, `OCIManifestPlan`). Blocking. A ChartMuseum upload's manifest was
    /// stored with the version (or, for charts stored before OCI, is generated on the first pull).
    /// For an OCI push the tag stays on the manifest it names (the first stored for these bytes);
    /// the new one is kept for pulls by digest only when `OCIPushedManifest.mayJoin` allows it,
    /// else the push is refused as other bytes for the version would be.
    func storeManifest(for stored: ChartVersionRecord, oci: OCIPushedManifest?, _ stores: Stores) throws(ServiceError) {
        guard let oci else { return }
        let current: OCIManifestRecord
        do {
            current = try GeneratedManifest.current(for: stored, stores)
        } catch {
            throw ServiceError(.internalError, "could not read the manifest of \(stored.name) \(stored.version): \(error)")
        }
        guard oci.mayJoin(current) else {
            throw ServiceError(.conflict, "\(stored.name) \(stored.version) is already published with manifest "
                + "sha256:\(current.digest); a push of the same chart may differ from it only in "
                + "org.opencontainers.image.created")
        }
        do {
            // The config blob is written again under the in-flight guard, so a sweep of old
            // uploads cannot delete it between the read at push and the manifest row.
            try stores.publisher.inFlight.holding([oci.manifest.config.digest]) {
                _ = try stores.blobs.write(oci.config)
                _ = try stores.metadata.insertManifest(oci.record(for: stored))
            }
            // Helm stamps a new creation time on every push: a CI job re-pushing its chart must not
            // grow the version's manifests (and what pulls and referrers read) without end.
            try stores.metadata.trimManifests(of: stored, keeping: Self.manifestsPerVersion)
        } catch {
            throw ServiceError(.internalError, "could not store the manifest of \(stored.name) \(stored.version): \(error)", cause: error)
        }
    }
}
