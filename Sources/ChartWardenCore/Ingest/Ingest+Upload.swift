import ChartArchive
import ContentPolicy
import Foundation
import OpenSSLSupport
import Provenance
import Storage

/// Ingesting charts: validation, the content policy, the provenance gate, and which row an upload
/// may take.
extension Ingest {
    /// Ingests a chart (and its prov, when given together). Everything is validated and asked of
    /// the provenance gate before the first byte is stored.
    /// `uploaderPrincipals` are what content-policy exemptions bound to uploaders are checked against.
    public func upload(chart: [UInt8], provenance: [UInt8]?, to repository: ChartRepository, uploader: String,
                       uploaderPrincipals: Set<String> = [], force: Bool, oci: OCIPushedManifest? = nil)
        async throws(ServiceError) -> ChartService.UploadOutcome {
        // Reading the archive and hashing the upload both block: neither runs on the caller's thread.
        let (package, digest) = try await work.run { (stores, _) throws(ServiceError) -> (ChartPackage, SHA256Digest) in
            do {
                return (try stores.archiveReader.read(bytes: chart), SHA256Hasher.hash(chart))
            } catch let error as ChartArchiveError {
                throw ServiceError(.badRequest, error.message)
            } catch {
                throw ServiceError(.badRequest, "the chart archive could not be read")
            }
        }
        try oci?.check(against: package.metadata)
        let configuration = repository.configuration
        // What the chart creates is judged before who signed it: refusing costs no gpg run. An
        // exemption bound to a signer is only pending until the provenance is verified.
        var evidence = ContentPolicy.UploadEvidence(digest: "sha256:\(digest.hex)", signerPending: provenance != nil,
                                                    uploaders: uploaderPrincipals)
        var contentVerdict = configuration.contentPolicy.mode == .off ? nil
            : configuration.contentPolicy.evaluate(package, evidence: evidence)
        if let verdict = contentVerdict, verdict.refusesUpload {
            try await recordContentRefusal(verdict, repository: configuration.name, uploader: uploader)
        }
        if let provenance, configuration.provenanceMode == .off {
            // Unverified provs are at least for the right chart; verifying modes let the
            // verifier name the failed check instead.
            let envelope = try ProvenanceEnvelope(bytes: provenance)
            guard envelope.name == package.metadata.name, envelope.version == package.metadata.version else {
                throw ServiceError(.badRequest, "provenance file is for \(envelope.name) \(envelope.version), "
                    + "not \(package.metadata.name) \(package.metadata.version)")
            }
        }
        let decision = try await provenanceGate.evaluate(ProvenanceSubmission(
            repository: configuration, chartName: package.metadata.name, chartVersion: package.metadata.version,
            chartDigest: digest, provenance: provenance))
        let status: ChartStatus
        var verdictRecord: ProvenanceVerdictRecord?
        switch decision {
        case .publish(let verdict):
            status = .active
            verdictRecord = try verdict.map { verdict throws(ServiceError) in
                try ProvenanceVerdictRecord(verdict, repository: configuration.name, package.metadata.name,
                                            package.metadata.version)
            }
        case .stage:
            if oci != nil {
                // An OCI push has no later prov upload to wait for: a manifest without a
                // provenance layer in an enforcing repository is refused, and nothing is staged.
                try await recordRejection(ProvenanceVerdict(checks: [ProvenanceVerdict.Check(
                    name: .envelope, passed: false,
                    detail: "the manifest has no provenance layer; this repository accepts only charts pushed with their .prov")],
                    chartDigest: "sha256:\(digest.hex)"),
                    repository: configuration.name, name: package.metadata.name, version: package.metadata.version,
                    uploader: uploader)
            }
            status = .pending
        case .reject(let verdict):
            try await recordRejection(verdict, repository: configuration.name, name: package.metadata.name,
                                      version: package.metadata.version, uploader: uploader)
        }
        if let verdict = contentVerdict, verdict.awaitsSigner {
            // Decide again with the signer the gate verified (none when staged or unverified).
            if case .publish(let provenanceVerdict?) = decision, provenanceVerdict.passed {
                evidence.signer = provenanceVerdict.signerFingerprint
            }
            evidence.signerPending = false
            let decided = configuration.contentPolicy.evaluate(package, evidence: evidence)
            if decided.refusesUpload {
                try await recordContentRefusal(decided, repository: configuration.name, uploader: uploader)
            }
            contentVerdict = decided
        }
        let verdictToStore = verdictRecord
        let finalContentVerdict = contentVerdict
        let contentRecord = try finalContentVerdict.map { verdict throws(ServiceError) in
            try ContentVerdictRecord(verdict, repository: configuration.name, refused: false)
        }
        let auditDetail = try Self.auditDetail(decision, provenance: provenance != nil, content: finalContentVerdict)
        let provenanceDigest = provenance.map { SHA256Hasher.hash($0).hex }
        // The version's manifest is stored in its transaction: the tag exists exactly when the version does.
        let manifestPlan: OCIManifestPlan? = status != .active ? nil
            : oci.map { pushed in OCIManifestPlan(config: pushed.config) { record in pushed.record(for: record) } }
            ?? GeneratedManifest.plan(provenanceSize: provenance.map { Int64($0.count) })
        let (record, unchanged) = try await work.run { [self] (stores, onPool) throws(ServiceError) -> (ChartVersionRecord, Bool) in
            if let same = try unchangedVersion(name: package.metadata.name, version: package.metadata.version,
                                               digest: digest.hex, provenanceDigest: provenanceDigest, uploader: uploader,
                                               oci: oci, in: configuration, stores) {
                return (same, true)
            }
            let replacing = try admission(of: package, status: status, force: force, uploader: uploader, in: configuration,
                                          stores)
            let stored: ChartVersionRecord
            do {
                stored = try stores.publisher.publish(archive: chart, provenance: provenance, chart: package.metadata,
                                                   repository: configuration.name, uploader: uploader, status: status,
                                                   replacing: replacing, verdict: verdictToStore,
                                                   contentVerdict: contentRecord, auditDetail: auditDetail,
                                                   manifest: manifestPlan)
                if let superseded = replacing, superseded.status == .pending {
                    try? stores.publisher.reclaim([superseded.digest, superseded.provenanceDigest].compactMap { $0 })
                }
            } catch let error as StorageError where error.code == .fileNameTaken {
                // A stage of this version could never be published under a file name another chart owns.
                if let stage = replacing { try removeStageNow(stage, outcome: .dropped, reason: error.message, stores) }
                throw ServiceError(.conflict, error.message)
            } catch let error as StorageError where error.code == .conflict {
                throw ServiceError(.conflict, error.message)
            } catch {
                throw ServiceError(.internalError, "could not store \(package.fileName): \(error)", cause: error)
            }
            if status == .active {
                // The tag was committed with the version; the index entry follows: both only after every check passed.
                try Catalog.publishCommitted(stored, in: repository, metadata: stores.metadata, onPool)
            }
            return (stored, false)
        }
        if unchanged { return .unchanged }
        return record.status == .active ? .published : .staged
    }

    /// Which stored row an upload of `package` replaces (nil: a new row), or why it is refused.
    /// Blocking. A stage is superseded only by an upload that publishes (chart and a passing
    /// prov), never renewed by another lone chart; a forced overwrite must publish at once, so
    /// the served version never changes to bytes that are only staged.
    func admission(of package: ChartPackage, status: ChartStatus, force: Bool, uploader: String,
                   in configuration: ChartWardenConfiguration.Repository, _ stores: Stores) throws(ServiceError)
        -> ChartVersionRecord? {
        var existing: ChartVersionRecord?
        do {
            existing = try stores.metadata.chart(repository: configuration.name, name: package.metadata.name,
                                          version: package.metadata.version)
        } catch {
            throw ServiceError(.internalError, "\(error)", cause: error)
        }
        if let stage = existing, stage.status == .pending, isExpired(stage, in: configuration) {
            try expireStageNow(stage, stores)
            existing = nil
        }
        guard let existing, existing.status != .deleted else { return existing }
        switch existing.status {
        case .pending where status == .active:
            return existing
        case .pending:
            do {
                try stores.metadata.appendAudit(AuditEvent(
                    at: Date(), repository: configuration.name, actor: uploader, action: .upload, outcome: .rejected,
                    subject: "\(existing.name)-\(existing.version)",
                    detail: AuditDetail(AuditDetails.StageNotRenewed(stagedBy: existing.uploader, stagedAt: existing.created))))
            } catch {
                throw audit.failed(error, writing: "upload rejected")
            }
            throw ServiceError(.conflict, "\(package.fileName) is already staged, waiting for its provenance file: "
                + "upload the chart together with its prov, or send the prov to "
                + (configuration.name.isEmpty ? "/api/prov" : "/api/\(configuration.name)/prov"))
        case .active where force && configuration.allowOverwrite:
            guard status == .active else {
                throw ServiceError(.badRequest, "a forced overwrite in a repository that enforces provenance needs the "
                    + "chart and its prov in one upload; \(package.fileName) stays as published")
            }
            return existing
        default:
            let hint = configuration.allowOverwrite && existing.status == .active ? " (use ?force to overwrite)" : ""
            throw ServiceError(.conflict, "\(package.fileName) already exists in this repository\(hint)")
        }
    }
}
