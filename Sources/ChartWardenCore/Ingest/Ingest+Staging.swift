import ChartIndex
import Foundation
import OpenSSLSupport
import Provenance
import Storage

/// Staged charts: publishing one when its prov arrives, and dropping the ones that expire or can
/// never be published.
extension Ingest {
    /// Attaches a prov to the stored or staged chart it names (`POST /api/R/prov`). In verifying
    /// repositories the prov is checked against that chart first; a staged chart is published
    /// when its prov passes.
    public func attachProvenance(_ provenance: [UInt8], to repository: ChartRepository, uploader: String)
        async throws(ServiceError) {
        let configuration = repository.configuration
        // Reading the envelope, hashing the prov and the lookup run together off the caller's thread.
        let (envelope, provenanceDigest, found) = try await work.run { (stores, _) throws(ServiceError)
            -> (ProvenanceEnvelope, SHA256Digest, ChartVersionRecord?) in
            let envelope = try ProvenanceEnvelope(bytes: provenance)
            do {
                return (envelope, SHA256Hasher.hash(provenance),
                        try stores.metadata.chart(repository: configuration.name, name: envelope.name, version: envelope.version))
            } catch {
                throw ServiceError(.internalError, "\(error)", cause: error)
            }
        }
        let fileName = IndexEntry.fileName(name: envelope.name, version: envelope.version)
        let notFound = ServiceError(.notFound, "no chart \(fileName) is stored or staged for this provenance file")
        guard let record = found, record.status == .active || record.status == .pending, let id = record.id,
              let chartDigest = SHA256Digest(hex: record.digest) else { throw notFound }
        if record.status == .pending {
            if isExpired(record, in: configuration) {
                try await expireStage(record)
                throw notFound
            }
            // A stage holds whatever bytes its uploader sent (perhaps not the author's): a prov
            // for other bytes is no forgery, only the wrong route.
            if let signed = envelope.signedDigest(of: fileName), signed.lowercased() != "sha256:" + record.digest {
                throw ServiceError(.conflict, "the staged bytes of \(fileName) differ from the ones this provenance file "
                    + "signs; upload the chart and its prov together")
            }
        }
        let decision = try await provenanceGate.evaluate(ProvenanceSubmission(
            repository: configuration, chartName: record.name, chartVersion: record.version, chartDigest: chartDigest,
            provenance: provenance))
        var verdictRecord: ProvenanceVerdictRecord?
        switch decision {
        case .publish(let verdict):
            verdictRecord = try verdict.map { verdict throws(ServiceError) in
                try ProvenanceVerdictRecord(verdict, repository: configuration.name, record.name, record.version)
            }
        case .stage:
            throw ServiceError(.internalError, "a provenance file cannot be staged")
        case .reject(let verdict):
            try await recordRejection(verdict, repository: configuration.name, name: record.name, version: record.version,
                                      uploader: uploader)
        }
        let activate = record.status == .pending
        let verdictToStore = verdictRecord
        let provenanceHex = provenanceDigest.hex
        try await work.run { [self] (stores, onPool) throws(ServiceError) in
            do {
                try stores.publisher.inFlight.holding([provenanceDigest]) { () throws in
                    let digest = try stores.blobs.write(provenance)
                    // Guarded by the row as verified: the gpg check took time, and the row may
                    // have been superseded, overwritten, quarantined or deleted meanwhile.
                    try stores.metadata.setProvenance(id: id, digest: digest.hex, expecting: record, activate: activate,
                                               audit: AuditEvent(
                        at: Date(), repository: configuration.name, actor: uploader, action: .provenance,
                        outcome: activate ? .published : .stored, subject: "\(record.name)-\(record.version)",
                        detail: try verdictToStore.map { verdict throws(StorageError) in
                            try AuditDetail(AuditDetails.ProvenanceAttached(signer: verdict.signerFingerprint ?? "",
                                                                            passed: verdict.passed))
                        }),
                        verdict: verdictToStore)
                }
            } catch let error as StorageError {
                try? stores.publisher.reclaim([provenanceHex])
                switch error.code {
                case .fileNameTaken:
                    // Another chart published this file name first: the stage can never be published.
                    try removeStageNow(record, outcome: .dropped, reason: error.message, stores)
                    throw ServiceError(.conflict, error.message + "; the staged chart was dropped")
                case .conflict: throw ServiceError(.conflict, error.message + "; try again")
                case .notFound: throw notFound
                default: throw ServiceError(.internalError, "could not store the provenance file: \(error)", cause: error)
                }
            } catch {
                throw ServiceError(.internalError, "could not store the provenance file: \(error)", cause: error)
            }
            try Catalog.publishCommitted(record, in: repository, metadata: stores.metadata, onPool)
        }
    }

    /// Drops stages older than their repository's TTL: the row and unshared blobs go, an audit
    /// event stays.
    package func expireStages(now: Date = Date()) async {
        for name in catalog.repositoryNames {
            guard let repository = catalog.repository(named: name), repository.configuration.provenanceMode == .enforce
            else { continue }
            let pending = (try? await work.run { (stores, _) throws(ServiceError) in
                (try? stores.metadata.charts(repository: repository.name, statuses: [.pending])) ?? []
            }) ?? []
            for record in pending where isExpired(record, in: repository.configuration, now: now) {
                do {
                    try await expireStage(record)
                } catch {
                    // The row and its audit event are one transaction: neither was written.
                    _ = audit.failed(error, writing: "stage expired")
                }
            }
        }
    }

    /// Whether a stage has outlived its TTL, counted from its first upload (never renewed).
    package func isExpired(_ stage: ChartVersionRecord, in configuration: ChartWardenConfiguration.Repository,
                   now: Date = Date()) -> Bool {
        stage.created.addingTimeInterval(TimeInterval(configuration.stagingTTLSeconds)) < now
    }

    package func expireStage(_ record: ChartVersionRecord) async throws(ServiceError) {
        try await work.run { [self] (stores, _) throws(ServiceError) in try expireStageNow(record, stores) }
    }

    func expireStageNow(_ record: ChartVersionRecord, _ stores: Stores) throws(ServiceError) {
        try removeStageNow(record, outcome: .expired, reason: "no provenance file arrived in time", stores)
    }

    /// Drops the stage row with its audit event, then the blobs nothing else uses (a publish of
    /// the same bytes in flight keeps them). Only that very stage goes: one published,
    /// superseded or re-staged since it was read stays. Blocking.
    func removeStageNow(_ record: ChartVersionRecord, outcome: AuditOutcome, reason: String, _ stores: Stores)
        throws(ServiceError) {
        guard let id = record.id, record.status == .pending else { return }
        do {
            guard try stores.metadata.deleteChart(id: id, onlyIf: record, audit: AuditEvent(
                at: Date(), repository: record.repository, actor: "system", action: .stage, outcome: outcome,
                subject: "\(record.name)-\(record.version)",
                detail: AuditDetail(AuditDetails.StageRemoved(uploader: record.uploader, reason: reason))))
            else { return }
            try stores.publisher.reclaim([record.digest, record.provenanceDigest].compactMap { $0 })
        } catch {
            throw ServiceError(.internalError, "could not drop the stage of \(record.name) \(record.version): \(error)", cause: error)
        }
    }
}
