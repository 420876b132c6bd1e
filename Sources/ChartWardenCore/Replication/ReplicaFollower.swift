import Foundation
import Logging
import Metrics
import Storage

/// Keeps this replica's in-memory indexes and GnuPG home in step with the changes other replicas
/// commit (issue 14): reads the change journal after the last id it applied and carries out the
/// `CatchUpPlan`. Notifications and the poll only say *when* to read; what changed is always read
/// back from the journal and the rows, so a missed notification delays an update, never loses it.
///
/// One catch-up runs at a time; a request arriving meanwhile makes it read once more.
package actor ReplicaFollower {
    private let work: BlockingWork<Stores>
    private let catalog: Catalog
    private let trust: TrustService
    /// Nil until `warm` loaded the catalog and said where the journal stood before it.
    private var lastApplied: Int64?
    private var knownLatest: Int64 = 0
    private var running = false
    private var again = false
    private let logger = Logger(label: "chartwarden.replica")
    private let lagEvents: Gauge
    private let lagSeconds: Gauge
    private let listening: Gauge
    private let applied: Counter
    private let reloads: Counter
    private let failures: Counter
    package static let pageSize = 500
    /// Full reloads so far (also `chartwarden_replica_full_reloads_total`).
    package private(set) var fullReloads = 0

    package init(work: BlockingWork<Stores>, catalog: Catalog, trust: TrustService, metricsFactory: any MetricsFactory) {
        self.work = work
        self.catalog = catalog
        self.trust = trust
        lagEvents = Gauge(label: "chartwarden_replica_lag_events", dimensions: [], factory: metricsFactory)
        lagSeconds = Gauge(label: "chartwarden_replica_lag_seconds", dimensions: [], factory: metricsFactory)
        listening = Gauge(label: "chartwarden_replica_listening", dimensions: [], factory: metricsFactory)
        applied = Counter(label: "chartwarden_replica_events_applied_total", dimensions: [], factory: metricsFactory)
        reloads = Counter(label: "chartwarden_replica_full_reloads_total", dimensions: [], factory: metricsFactory)
        failures = Counter(label: "chartwarden_replica_catch_up_failures_total", dimensions: [], factory: metricsFactory)
    }

    /// The journal's newest id read just before the catalog was loaded: everything after it is
    /// applied by catching up (applying a change the load already saw changes nothing).
    package func start(at id: Int64) {
        lastApplied = max(lastApplied ?? 0, id)
        knownLatest = max(knownLatest, id)
    }

    /// The last journal id applied (nil before `start`).
    package var appliedThrough: Int64? { lastApplied }

    /// Whether the change listener holds a LISTEN connection now.
    package private(set) var isListening = false

    package func setListening(_ isListening: Bool) {
        self.isListening = isListening
        listening.record(isListening ? 1 : 0)
    }

    /// A notification of journal id `id` (nil: one that could not be read). Only a hint to read:
    /// anyone who can connect to the database can NOTIFY, so the id it carries never counts as
    /// the journal's head (that is read from the store); it only spares a read when not newer.
    package func heard(of id: Int64?) async {
        guard let last = lastApplied else { return }
        guard CatchUpPlan.mustRead(lastApplied: last, notified: id) else { return }
        await catchUp()
    }

    /// Reads and applies everything committed after the last applied id.
    package func catchUp() async {
        guard lastApplied != nil else { return }
        if running {
            again = true
            return
        }
        running = true
        defer { running = false }
        repeat {
            again = false
            do {
                try await readAndApply()
            } catch {
                failures.increment()
                logger.warning("replica catch-up failed; retried on the next notification or poll", metadata: [
                    "error": "\(error.message)",
                ])
                return
            }
        } while again
    }

    private func readAndApply() async throws(ServiceError) {
        while let last = lastApplied {
            let repositories = Set(catalog.repositoryNames)
            // The newest id first: rows read after it include every row up to it.
            let (latest, events) = try await work.run { (stores, _) throws(ServiceError) -> (Int64, [ChangeEvent]) in
                do {
                    let latest = try stores.metadata.latestEventID()
                    return (latest, try stores.metadata.events(after: last, limit: Self.pageSize))
                } catch {
                    throw ServiceError(.internalError, "cannot read the change journal: \(error)")
                }
            }
            knownLatest = latest
            let plan = CatchUpPlan.plan(lastApplied: last, events: events, pageSize: Self.pageSize,
                                        knownLatest: latest, repositories: repositories)
            if plan.steps.contains(.reloadAll) {
                lastApplied = try await reloadAll()
                reloads.increment()
                fullReloads += 1
                logger.notice("the change journal no longer holds what this replica missed: reloaded every repository")
                recordLag(appliedAt: nil)
                return
            }
            if !plan.steps.isEmpty { try await apply(plan.steps) }
            for case .reevaluate(let signer) in plan.steps {
                // Charts already withheld are not listed again; a chart the recording replica
                // quarantined meanwhile is skipped the same way.
                _ = try await trust.reevaluate(signer: signer, repository: nil, actor: "system",
                                               cause: "signer key revoked", unlessUnderWay: true)
            }
            if let through = plan.appliedThrough { lastApplied = through }
            applied.increment(by: Int64(events.count))
            recordLag(appliedAt: events.last?.at)
            if !plan.readAgain { return }
        }
    }

    private func recordLag(appliedAt: Date?) {
        lagEvents.record(Double(max(0, knownLatest - (lastApplied ?? 0))))
        if let appliedAt { lagSeconds.record(max(0, Date().timeIntervalSince(appliedAt))) }
    }

    private func apply(_ steps: [CatchUpPlan.Step]) async throws(ServiceError) {
        try await work.run { [catalog] (stores, onPool) throws(ServiceError) in
            for step in steps {
                switch step {
                case .reloadTrust:
                    try Self.reimportKeys(stores)
                case .reconcile(let name, let chart, let version):
                    guard let repository = catalog.repository(named: name) else { continue }
                    try Catalog.reconcile(name: chart, version: version, in: repository, metadata: stores.metadata, onPool)
                case .reloadAll, .reevaluate:
                    continue
                }
            }
        }
    }

    /// Reloads every index and the keys; returns the journal id read before the reload.
    private func reloadAll() async throws(ServiceError) -> Int64 {
        try await work.run { [catalog] (stores, onPool) throws(ServiceError) -> Int64 in
            let newest: Int64
            do {
                newest = try stores.metadata.latestEventID()
            } catch {
                throw ServiceError(.internalError, "cannot read the change journal: \(error)")
            }
            try Self.reimportKeys(stores)
            try catalog.load(from: stores.metadata, onPool)
            return newest
        }
    }

    private static func reimportKeys(_ stores: Stores) throws(ServiceError) {
        let refused: [String]
        do {
            refused = try stores.trust.reimportKeys()
        } catch {
            throw ServiceError(.internalError, "cannot read the signers' keys: \(error)")
        }
        if !refused.isEmpty {
            logger.error("GnuPG refused stored keys; this replica verifies without them", metadata: [
                "fingerprints": "\(refused.joined(separator: ","))",
            ])
        }
    }

    private static let logger = Logger(label: "chartwarden.replica")
}
