import ChartIndex
import Logging
import Storage

/// Applying a change another replica committed: the version's row is re-read and the index made
/// to match it, one chart at a time (never a full reload), through the same paths as a local
/// change, so the snapshot's generation grows as it would here and every cache keyed on it
/// (served answers, OCI manifests) lets go. The blob cache needs nothing: it is keyed by content
/// digest, and a snapshot serves only the digests its rows name, so an overwritten version's old
/// bytes are never served again (they age out of the cache).
extension Catalog {
    /// Re-reads `name` `version` under the repository's commit-order lock and applies its status:
    /// active is served, quarantined withheld with its reason, anything else (staged, deleted,
    /// gone) absent. Idempotent: a version already served as stored is left as it is. Blocking.
    package static func reconcile(name: String, version: String, in repository: ChartRepository,
                                  metadata: any MetadataStore, _ onPool: OnThreadPool) throws(ServiceError) {
        do {
            try repository.inCommitOrder {
                let current = try metadata.chart(repository: repository.name, name: name, version: version)
                repository.reconcile(name: name, version: version, with: current, onPool)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.internalError, "index update of \(name) \(version) failed: \(error)")
        }
    }
}

extension ChartRepository {
    static let replicaLogger = Logger(label: "chartwarden.replica")

    /// Makes this version's entry and files match `record` (nil: no row). Blocking.
    package func reconcile(name: String, version: String, with record: ChartVersionRecord?, _ onPool: OnThreadPool) {
        let fileName = IndexEntry.fileName(name: name, version: version)
        let served = snapshot
        switch record?.status {
        case .active:
            guard let record else { return }
            let isServed = served.files[fileName]?.digest.hex == record.digest
                && served.files[fileName + ".prov"]?.digest.hex == record.provenanceDigest
                && served.withheld[fileName] == nil
            guard !isServed else { return }
            do {
                try didPublish(record, onPool)
            } catch {
                // A row whose stored metadata this build cannot index (as `load` leaves such rows
                // out): the replica that stored it could not index it either. Skipped, so one row
                // never stops a replica from applying every later change.
                Self.replicaLogger.warning("a published chart left out of index.yaml on this replica", metadata: [
                    "repository": "\(self.name)", "chart": "\(fileName)", "reason": "\(error)",
                ])
            }
        case .quarantined:
            guard let record else { return }
            let reason = record.statusReason ?? "quarantined"
            if served.files[fileName] != nil || served.withheld[fileName] != reason {
                didQuarantine(record, reason: reason, onPool)
            }
        default:
            if served.files[fileName] != nil || served.withheld[fileName] != nil {
                didRemove(name: name, version: version, onPool)
            }
        }
    }
}
