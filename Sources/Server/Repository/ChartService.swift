import ChartArchive
import ChartIndex
import ChartModel
import ContentPolicy
import Foundation
import NIOCore
import NIOPosix
import OpenSSLSupport
import Provenance
import Storage

/// The repository service: ingest, publish, delete and serve charts for every configured
/// repository. Knows nothing about HTTP. Blocking work (libarchive, SQLite, file I/O, index
/// rendering) runs on `threadPool`, never on an event loop or the cooperative pool.
public final class ChartService: Sendable {
    public enum UploadOutcome: Sendable, Equatable {
        case published
        case staged
    }

    let repositories: [String: ChartRepository]
    let metadata: any MetadataStore
    let blobs: any BlobStore
    let publisher: ChartPublisher
    let archiveReader: ChartArchiveReader
    public let trust: TrustStore
    let provenanceGate: any ProvenanceGate
    let blobCache: BlobCache
    let threadPool: NIOThreadPool
    let configuration: ChartWardenConfiguration

    public init(configuration: ChartWardenConfiguration, metadata: any MetadataStore, blobs: any BlobStore,
                trust: TrustStore, provenanceGate: (any ProvenanceGate)? = nil,
                archiveReader: ChartArchiveReader = ChartArchiveReader(), threadPool: NIOThreadPool = .singleton) {
        var repositories: [String: ChartRepository] = [:]
        for repository in configuration.repositories {
            repositories[repository.name] = ChartRepository(configuration: repository, publicURL: configuration.server.publicURL)
        }
        self.repositories = repositories
        self.metadata = metadata
        self.blobs = blobs
        self.publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        self.archiveReader = archiveReader
        self.trust = trust
        self.provenanceGate = provenanceGate ?? VerifyingProvenanceGate(trust: trust, threadPool: threadPool)
        self.configuration = configuration
        self.blobCache = BlobCache(budgetBytes: 256 << 20, largestEntryBytes: 8 << 20)
        self.threadPool = threadPool
    }

    public func repository(named name: String) -> ChartRepository? { repositories[name] }

    /// Registers repositories, imports each repository's `trustedKeys` (trusting them there),
    /// and loads every active chart into the in-memory indexes.
    public func warm() async throws {
        try await offload { [self] in
            for name in repositories.keys { try metadata.ensureRepository(name) }
            for repository in configuration.repositories {
                for path in repository.trustedKeys {
                    guard let bytes = FileManager.default.contents(atPath: path) else {
                        throw ServiceError(.internalError, "cannot read trusted key \(path) of repository '\(repository.name)'")
                    }
                    do {
                        _ = try trust.importKeys(Array(bytes), trustFor: repository.name, actor: "config")
                    } catch let error as ServiceError where error.code == .badRequest {
                        // A key the checks refuse (weak, poisoned) is skipped, not fatal: startup goes on.
                        TrustStore.logger.error("trusted key \(path) of repository '\(repository.name)' refused, skipped: \(error.message)")
                    } catch let error as ServiceError {
                        throw ServiceError(.internalError, "trusted key \(path) of repository '\(repository.name)': \(error.message)")
                    }
                }
            }
            let records = try metadata.allCharts(statuses: [.active, .quarantined])
            let byRepository = Dictionary(grouping: records, by: \.repository)
            for (name, repository) in repositories {
                let all = byRepository[name] ?? []
                try repository.load(all.filter { $0.status == .active }, quarantined: all.filter { $0.status == .quarantined })
            }
        }
    }

    // MARK: uploads

    /// Ingests a chart (and its prov, when given together). Everything is validated and asked of
    /// the provenance gate before the first byte is stored.
    /// `uploaderPrincipals` are what content-policy exemptions bound to uploaders are checked against.
    public func upload(chart: [UInt8], provenance: [UInt8]?, to repository: ChartRepository, uploader: String,
                       uploaderPrincipals: Set<String> = [], force: Bool) async throws(ServiceError) -> UploadOutcome {
        let package: ChartPackage = try await offloadMapping { [archiveReader] () throws(ServiceError) in
            do {
                return try archiveReader.read(bytes: chart)
            } catch let error as ChartArchiveError {
                throw ServiceError(.badRequest, error.message)
            } catch {
                throw ServiceError(.badRequest, "\(error)")
            }
        }
        let configuration = repository.configuration
        // What the chart creates is judged before who signed it: refusing costs no gpg run. An
        // exemption bound to a signer is only pending until the provenance is verified.
        let digest = SHA256Hasher.hash(chart)
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
        let decision = await provenanceGate.evaluate(ProvenanceSubmission(
            repository: configuration, chartName: package.metadata.name, chartVersion: package.metadata.version,
            chartDigest: digest, provenance: provenance))
        let status: ChartStatus
        var verdictRecord: ProvenanceVerdictRecord?
        switch decision {
        case .publish(let verdict):
            status = .active
            verdictRecord = verdict.map { Self.record($0, repository: configuration.name, package.metadata.name, package.metadata.version) }
        case .stage:
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
        let contentRecord = contentVerdict.map { Self.record($0, repository: configuration.name, refused: false) }
        let finalContentVerdict = contentVerdict
        let auditDetail = Self.auditDetail(decision, provenance: provenance != nil, content: finalContentVerdict)
        let record: ChartVersionRecord = try await offloadMapping { [self] () throws(ServiceError) in
            let replacing = try admission(of: package, status: status, force: force, uploader: uploader, in: configuration)
            do {
                let stored = try publisher.publish(archive: chart, provenance: provenance, chart: package.metadata,
                                                   repository: configuration.name, uploader: uploader, status: status,
                                                   replacing: replacing, verdict: verdictToStore,
                                                   contentVerdict: contentRecord, auditDetail: auditDetail)
                if let superseded = replacing, superseded.status == .pending {
                    try? publisher.reclaim([superseded.digest, superseded.provenanceDigest].compactMap { $0 })
                }
                return stored
            } catch let error as StorageError where error.code == .conflict {
                throw ServiceError(.conflict, error.message)
            } catch {
                throw ServiceError(.internalError, "could not store \(package.fileName): \(error)")
            }
        }
        guard status == .active else { return .staged }
        try await refreshIndex(repository) { try repository.didPublish(record) }
        return .published
    }

    /// Which stored row an upload of `package` replaces (nil: a new row), or why it is refused.
    /// Blocking. A stage is superseded only by an upload that publishes (chart and a passing
    /// prov), never renewed by another lone chart; a forced overwrite must publish at once, so
    /// the served version never changes to bytes that are only staged.
    private func admission(of package: ChartPackage, status: ChartStatus, force: Bool, uploader: String,
                           in configuration: ChartWardenConfiguration.Repository) throws(ServiceError) -> ChartVersionRecord? {
        var existing: ChartVersionRecord?
        do {
            existing = try metadata.chart(repository: configuration.name, name: package.metadata.name,
                                          version: package.metadata.version)
        } catch {
            throw ServiceError(.internalError, "\(error)")
        }
        if let stage = existing, stage.status == .pending, isExpired(stage, in: configuration) {
            try expireStageNow(stage)
            existing = nil
        }
        guard let existing, existing.status != .deleted else { return existing }
        switch existing.status {
        case .pending where status == .active:
            return existing
        case .pending:
            try? metadata.appendAudit(AuditEvent(
                at: Date(), repository: configuration.name, actor: uploader, action: "upload", outcome: "rejected",
                subject: "\(existing.name)-\(existing.version)",
                detail: TrustStore.json(["reason": "already staged; a stage is not renewed", "stagedBy": existing.uploader,
                                         "stagedAt": ISO8601DateFormatter().string(from: existing.created)])))
            throw ServiceError(.conflict, "\(package.fileName) is already staged, waiting for its provenance file: "
                + "upload the chart together with its prov, or send the prov to /api/\(configuration.name)/prov")
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

    /// Attaches a prov to the stored or staged chart it names (`POST /api/R/prov`). In verifying
    /// repositories the prov is checked against that chart first; a staged chart is published
    /// when its prov passes.
    public func attachProvenance(_ provenance: [UInt8], to repository: ChartRepository, uploader: String)
        async throws(ServiceError) {
        let envelope = try ProvenanceEnvelope(bytes: provenance)
        let configuration = repository.configuration
        let fileName = IndexEntry.fileName(name: envelope.name, version: envelope.version)
        let notFound = ServiceError(.notFound, "no chart \(fileName) is stored or staged for this provenance file")
        let found: ChartVersionRecord? = try await offloadMapping { [self] () throws(ServiceError) in
            do {
                return try metadata.chart(repository: configuration.name, name: envelope.name, version: envelope.version)
            } catch {
                throw ServiceError(.internalError, "\(error)")
            }
        }
        guard var record = found, record.status == .active || record.status == .pending, let id = record.id,
              let chartDigest = SHA256Digest(hex: record.digest) else { throw notFound }
        if record.status == .pending, isExpired(record, in: configuration) {
            try await expireStage(record)
            throw notFound
        }
        let decision = await provenanceGate.evaluate(ProvenanceSubmission(
            repository: configuration, chartName: record.name, chartVersion: record.version, chartDigest: chartDigest,
            provenance: provenance))
        var verdictRecord: ProvenanceVerdictRecord?
        switch decision {
        case .publish(let verdict):
            verdictRecord = verdict.map { Self.record($0, repository: configuration.name, record.name, record.version) }
        case .stage:
            throw ServiceError(.internalError, "a provenance file cannot be staged")
        case .reject(let verdict):
            try await recordRejection(verdict, repository: configuration.name, name: record.name, version: record.version,
                                      uploader: uploader)
        }
        let activate = record.status == .pending
        let verdictToStore = verdictRecord
        record = try await offloadMapping { [self, record] () throws(ServiceError) in
            var record = record
            do {
                let digest = try publisher.inFlight.holding([SHA256Hasher.hash(provenance)]) { () throws -> SHA256Digest in
                    let digest = try blobs.write(provenance)
                    try metadata.setProvenance(id: id, digest: digest.hex, activate: activate, audit: AuditEvent(
                    at: Date(), repository: configuration.name, actor: uploader, action: "provenance",
                    outcome: activate ? "published" : "stored", subject: "\(record.name)-\(record.version)",
                    detail: verdictToStore.map { "{\"signer\":\"\($0.signerFingerprint ?? "")\",\"passed\":\($0.passed)}" }),
                    verdict: verdictToStore)
                    return digest
                }
                record.provenanceDigest = digest.hex
                record.status = .active
                return record
            } catch {
                throw ServiceError(.internalError, "could not store the provenance file: \(error)")
            }
        }
        let published = record
        try await refreshIndex(repository) { try repository.didPublish(published) }
    }

    /// Stores the verdict and audit event of a refused upload, then throws the 403.
    private func recordRejection(_ verdict: ProvenanceVerdict, repository: String, name: String, version: String,
                                 uploader: String) async throws(ServiceError) -> Never {
        let record = Self.record(verdict, repository: repository, name, version)
        let audit = AuditEvent(at: Date(), repository: repository, actor: uploader, action: "upload", outcome: "rejected",
                               subject: "\(name)-\(version)",
                               detail: TrustStore.json(VerdictDetail(failedChecks: verdict.failedChecks,
                                                                       signer: verdict.signerFingerprint,
                                                                       reasons: verdict.checks.filter { !$0.passed }.map(\.detail))))
        try? await offloadMapping { [metadata] () throws(ServiceError) in
            try? metadata.appendVerdict(record)
            try? metadata.appendAudit(audit)
        }
        throw ServiceError(.forbidden, verdict.summary, failedChecks: verdict.failedChecks)
    }

    /// Stores the verdict and audit event of an upload the content policy refuses, then throws
    /// the 403 that names every violation.
    private func recordContentRefusal(_ verdict: ContentPolicyVerdict, repository: String, uploader: String)
        async throws(ServiceError) -> Never {
        let record = Self.record(verdict, repository: repository, refused: true)
        let audit = AuditEvent(at: Date(), repository: repository, actor: uploader, action: "upload", outcome: "rejected",
                               subject: "\(verdict.chart)-\(verdict.version)",
                               detail: TrustStore.json(["contentPolicy": verdict]))
        try? await offloadMapping { [metadata] () throws(ServiceError) in
            try? metadata.appendContentVerdict(record, audit: audit)
        }
        throw ServiceError(.forbidden, verdict.summary, violations: verdict.violations)
    }

    static func record(_ verdict: ContentPolicyVerdict, repository: String, refused: Bool) -> ContentVerdictRecord {
        ContentVerdictRecord(repository: repository, name: verdict.chart, version: verdict.version, passed: verdict.passed,
                             refused: refused, verdict: TrustStore.json(verdict), createdAt: Date())
    }

    /// Audit detail of a verdict: the checks that failed (empty when all passed), the signer, why.
    private struct VerdictDetail: Encodable {
        let failedChecks: [String]
        let signer: String?
        let reasons: [String]
    }

    /// Who signed and what failed, for the audit event of an accepted upload.
    static func auditDetail(_ decision: ProvenanceDecision, provenance: Bool, content: ContentPolicyVerdict?) -> String? {
        let provenanceDetail = auditDetail(decision, provenance: provenance)
        guard let content else { return provenanceDetail }
        var object: [String: JSONValue] = [:]
        if let provenanceDetail, case .object(let fields) = JSONValue(text: provenanceDetail) { object = fields }
        object["contentPolicy"] = JSONValue(text: TrustStore.json(content))
        return TrustStore.json(JSONValue.object(object))
    }

    static func auditDetail(_ decision: ProvenanceDecision, provenance: Bool) -> String? {
        switch decision {
        case .publish(let verdict?):
            return TrustStore.json(VerdictDetail(failedChecks: verdict.failedChecks, signer: verdict.signerFingerprint,
                                                   reasons: verdict.checks.filter { !$0.passed }.map(\.detail)))
        case .stage:
            return "{\"pending\":\"provenance\"}"
        default:
            return provenance ? "{\"provenance\":true}" : nil
        }
    }

    static func record(_ verdict: ProvenanceVerdict, repository: String, _ name: String, _ version: String)
        -> ProvenanceVerdictRecord {
        ProvenanceVerdictRecord(repository: repository, name: name, version: version,
                                signerFingerprint: verdict.signerFingerprint, signedAt: verdict.signedAt,
                                passed: verdict.passed, checks: TrustStore.json(verdict), createdAt: Date())
    }

    // MARK: staging

    /// Drops stages older than their repository's TTL: the row and unshared blobs go, an audit
    /// event stays.
    public func expireStages(now: Date = Date()) async {
        for repository in repositories.values where repository.configuration.provenanceMode == .enforce {
            let ttl = TimeInterval(repository.configuration.stagingTTLSeconds)
            let pending = (try? await offloadMapping { [metadata] () throws(ServiceError) in
                (try? metadata.charts(repository: repository.name, statuses: [.pending])) ?? []
            }) ?? []
            for record in pending where record.created.addingTimeInterval(ttl) < now {
                try? await expireStage(record)
            }
        }
    }

    /// Whether a stage has outlived its TTL, counted from its first upload (never renewed).
    func isExpired(_ stage: ChartVersionRecord, in configuration: ChartWardenConfiguration.Repository,
                   now: Date = Date()) -> Bool {
        stage.created.addingTimeInterval(TimeInterval(configuration.stagingTTLSeconds)) < now
    }

    private func expireStage(_ record: ChartVersionRecord) async throws(ServiceError) {
        try await offloadMapping { [self] () throws(ServiceError) in try expireStageNow(record) }
    }

    /// Drops the stage row with its audit event, then the blobs nothing else uses (a publish of
    /// the same bytes in flight keeps them). Blocking.
    private func expireStageNow(_ record: ChartVersionRecord) throws(ServiceError) {
        guard let id = record.id else { return }
        do {
            // A stage published or superseded since it was read is no longer a stage: keep it.
            guard try metadata.deleteChart(id: id, onlyIf: .pending, audit: AuditEvent(
                at: Date(), repository: record.repository, actor: "system", action: "stage", outcome: "expired",
                subject: "\(record.name)-\(record.version)",
                detail: TrustStore.json(["uploader": record.uploader, "reason": "no provenance file arrived in time"])))
            else { return }
            try publisher.reclaim([record.digest, record.provenanceDigest].compactMap { $0 })
        } catch {
            throw ServiceError(.internalError, "could not expire the stage of \(record.name) \(record.version): \(error)")
        }
    }

    /// Removes a version from the index and from downloads; the bytes stay until purged.
    public func delete(name: String, version: String, from repository: ChartRepository, actor: String)
        async throws(ServiceError) {
        let configuration = repository.configuration
        try await offloadMapping { [self] () throws(ServiceError) in
            do {
                guard let record = try metadata.chart(repository: configuration.name, name: name, version: version),
                      record.status == .active, let id = record.id else {
                    throw ServiceError(.notFound, "chart \(name) version \(version) not found")
                }
                try metadata.updateStatus(id: id, to: .deleted, reason: "deleted by \(actor)", audit: AuditEvent(
                    at: Date(), repository: configuration.name, actor: actor, action: "delete", outcome: "deleted",
                    subject: "\(name)-\(version)"))
                repository.didRemove(name: name, version: version)
            } catch let error as ServiceError {
                throw error
            } catch {
                throw ServiceError(.internalError, "could not delete \(name) \(version): \(error)")
            }
        }
    }

    func refreshIndex(_ repository: ChartRepository, _ body: @escaping @Sendable () throws -> Void)
        async throws(ServiceError) {
        try await offloadMapping { () throws(ServiceError) in
            do { try body() } catch { throw ServiceError(.internalError, "index update failed: \(error)") }
        }
    }

    // MARK: downloads

    /// The bytes of `N-V.tgz` or `N-V.tgz.prov`, from memory when recently served.
    func file(named fileName: String, in repository: ChartRepository) async throws(ServiceError)
        -> (ServedFile, ByteBuffer) {
        let snapshot = repository.snapshot
        guard let file = snapshot.files[fileName] else {
            if let reason = snapshot.withheld[fileName] {
                throw ServiceError(.forbidden, "\(fileName) is quarantined: \(reason)")
            }
            throw ServiceError(.notFound, "\(fileName) not found")
        }
        if let cached = blobCache.get(file.digest) { return (file, cached) }
        let buffer: ByteBuffer = try await offloadMapping { [blobs, blobCache] () throws(ServiceError) in
            do {
                let buffer = ByteBuffer(bytes: try blobs.read(file.digest))
                blobCache.put(file.digest, buffer)
                return buffer
            } catch {
                throw ServiceError(.internalError, "\(fileName) is unreadable: \(error)")
            }
        }
        return (file, buffer)
    }

    // MARK: audit

    func auditEvents(_ query: AuditQuery) async throws(ServiceError) -> [AuditEvent] {
        try await offloadMapping { [metadata] () throws(ServiceError) in
            do {
                return try metadata.auditEvents(query)
            } catch {
                throw ServiceError(.internalError, "cannot read the audit log")
            }
        }
    }

    // MARK: thread pool

    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    /// Runs blocking work on the thread pool, keeping `ServiceError`s typed.
    func offloadMapping<T: Sendable>(_ body: @escaping @Sendable () throws(ServiceError) -> T)
        async throws(ServiceError) -> T {
        do {
            return try await threadPool.runIfActive { try body() }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unavailable, "the server is shutting down")
        }
    }
}
