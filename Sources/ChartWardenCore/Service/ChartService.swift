import ChartArchive
import Metrics
import Foundation
import Logging
import NIOPosix
import PostgresStorage
import Storage

/// The repository service for every configured repository, split by job: `ingest` (uploads,
/// provs, stages, deletes), `trust` (keys, re-evaluation, quarantine, restore, verdicts),
/// `catalog` (what GETs serve: per-repository snapshots and recent bytes) and `audit`. Knows
/// nothing about HTTP. Blocking work goes through one `BlockingWork` seam onto `threadPool`.
public final class ChartService: Sendable {
    public enum UploadOutcome: Sendable, Equatable {
        case published
        case staged
        /// The same chart and prov bytes as the published version: nothing changed.
        case unchanged
    }

    package let catalog: Catalog
    package let ingest: Ingest
    package let trust: TrustService
    package let audit: AuditLog
    /// Scoped API tokens (README, "API tokens").
    package let tokens: TokenService
    /// `audit.retentionDays`, run by `RetentionSweeper`.
    package let retention: Retention
    /// The OCI distribution API over the same stores.
    package let oci: OCIRegistry
    /// `/ready`: whether the metadata store answers.
    package let readiness: StoreReadiness
    /// Applies what other replicas commit (the change journal); `replicaSync` drives it on
    /// PostgreSQL, nil on the embedded store (one process, nothing to follow).
    package let replica: ReplicaFollower
    package let replicaSync: ReplicaSync?
    /// Webhook deliveries (README, "Webhooks"); nil without `webhooks`.
    package let webhooks: WebhookOutbox?
    private let work: BlockingWork<Stores>
    private let configuration: ChartWardenConfiguration
    private static let storageLogger = Logger(label: "chartwarden.storage")
    /// The lock of the start-up sweep of unreferenced blobs across replicas.
    package static let orphanSweepJob = "orphan-blob-sweep"
    /// Start-up sweeps of unreferenced blobs finished (`chartwarden_blob_orphan_sweeps_total`), and blobs they removed.
    private let orphanSweeps: Counter
    private let orphansRemoved: Counter

    public init(configuration: ChartWardenConfiguration, metadata: any MetadataStore, blobs: any BlobStore,
                trust trustStore: TrustStore, provenanceGate: (any ProvenanceGate)? = nil,
                archiveReader: ChartArchiveReader = ChartArchiveReader(), threadPool: NIOThreadPool = .singleton,
                metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
                changeListener: PostgresChangeListener? = nil) {
        let work = BlockingWork(Stores(metadata: metadata, blobs: blobs, archiveReader: archiveReader, trust: trustStore),
                                threadPool: threadPool)
        let catalog = Catalog(configuration: configuration, work: work)
        let audit = AuditLog(work: work, metricsFactory: metricsFactory)
        let gate = provenanceGate ?? VerifyingProvenanceGate(trust: BlockingWork(trustStore, threadPool: threadPool))
        self.work = work
        self.configuration = configuration
        orphanSweeps = Counter(label: "chartwarden_blob_orphan_sweeps_total", dimensions: [], factory: metricsFactory)
        orphansRemoved = Counter(label: "chartwarden_blob_orphans_removed_total", dimensions: [], factory: metricsFactory)
        self.catalog = catalog
        self.audit = audit
        let ingest = Ingest(work: work, catalog: catalog, provenanceGate: gate, audit: audit)
        self.ingest = ingest
        trust = TrustService(work: work, catalog: catalog)
        tokens = TokenService(work: work, repositories: Set(configuration.repositories.map(\.name)))
        retention = Retention(retention: configuration.audit.retention, work: work, ingest: ingest,
                              metricsFactory: metricsFactory)
        readiness = StoreReadiness(work: work)
        oci = OCIRegistry(work: work, ingest: ingest, sessions: OCIUploadSessions(),
                          maxBlobBytes: configuration.server.maxUploadBytes,
                          pendingBytesPerUploader: Int64(configuration.server.ociPendingBytesPerPrincipal),
                          pendingBytesPerRepository: Int64(configuration.server.ociPendingBytesPerRepository),
                          // Other replicas write a PostgreSQL store: what they change is seen within 2 s.
                          pulls: OCIPullCache(maxAge: configuration.storage.postgres == nil ? nil : .seconds(2)))
        let replica = ReplicaFollower(work: work, catalog: catalog, trust: trust, metricsFactory: metricsFactory)
        self.replica = replica
        replicaSync = changeListener.map { ReplicaSync(follower: replica, listener: $0) }
        webhooks = configuration.webhooks.isEmpty ? nil
            : WebhookOutbox(webhooks: configuration.webhooks, sourceBase: configuration.server.publicURL,
                            journal: StoreChangeJournal(), work: work)
    }

    public func repository(named name: String) -> ChartRepository? { catalog.repository(named: name) }

    /// Registers repositories, imports each repository's `trustedKeys` (trusting them there),
    /// loads every active chart into the in-memory indexes, and deletes the blobs no row
    /// references (left by a crash).
    public func warm() async throws {
        let journalHead = try await work.run { [configuration, catalog] (stores, onPool) throws(ServiceError) -> Int64 in
            do {
                for repository in configuration.repositories { try stores.metadata.ensureRepository(repository.name) }
            } catch {
                throw ServiceError(.internalError, "cannot register the repositories: \(error)", cause: error)
            }
            for repository in configuration.repositories {
                for path in repository.trustedKeys {
                    guard let bytes = FileManager.default.contents(atPath: path) else {
                        throw ServiceError(.internalError, "cannot read trusted key \(path) of repository '\(repository.name)'")
                    }
                    do throws(ServiceError) {
                        _ = try stores.trust.importKeys(Array(bytes), trustFor: repository.name, actor: "config")
                    } catch where error.code == .badRequest {
                        // A key the checks refuse (weak, poisoned) is skipped, not fatal: startup goes on.
                        TrustStore.logger.error("trusted key \(path) of repository '\(repository.name)' refused, skipped: \(error.message)")
                    } catch {
                        throw ServiceError(.internalError, "trusted key \(path) of repository '\(repository.name)': \(error.message)", cause: error)
                    }
                }
            }
            // Read before the load: a change committed during it is applied again by catching up.
            let journalHead: Int64
            do {
                journalHead = try stores.metadata.latestEventID()
            } catch {
                throw ServiceError(.internalError, "cannot read the change journal: \(error)")
            }
            try catalog.load(from: stores.metadata, onPool)
            return journalHead
        }
        await replica.start(at: journalHead)
        Task { await self.sweepOrphanBlobs() }
    }

    /// A kill between a blob's write and its row's commit leaves a blob nothing serves: removed
    /// here, in the background once `warm` has loaded the charts (with 100,000 blobs, listing
    /// them and reading every reference takes most of a second; serving need not wait). It may
    /// run beside uploads: a publish holds its digests in `InFlightBlobs` from before its blob
    /// write to its commit, and the sweep skips held digests under the same lock. Replicas
    /// starting together on one database: one sweeps, the others skip it.
    private func sweepOrphanBlobs() async {
        let removed = try? await work.run { (stores, _) throws(ServiceError) -> Int in
            do {
                guard let job = try stores.metadata.beginExclusiveJob(Self.orphanSweepJob) else { return 0 }
                defer { job.end() }
                return try stores.publisher.sweepOrphans().count
            } catch {
                Self.storageLogger.error("the sweep of unreferenced blobs failed; they stay: \(error)")
                return 0
            }
        }
        if let removed, removed > 0 {
            orphansRemoved.increment(by: removed)
            Self.storageLogger.info("removed \(removed) unreferenced blob(s) left by a crash")
        }
        orphanSweeps.increment()
    }
}
