import Foundation
import Logging
import Metrics
import Storage

/// `audit.retentionDays`: history older than the retention goes — audit rows, verdicts of
/// refused uploads (and of replaced bytes), webhook delivery attempts, and stages nobody published in all that time (in
/// any repository, also one that no longer enforces provenance and so is not swept for its
/// TTL). Charts and the verdicts that let them in stay. Pruning runs in bounded batches, one
/// short transaction each on the thread pool, so the SQLite writer is never held for long.
package struct Retention: Sendable {
    /// Rows per transaction.
    package static let batchSize = 500

    package let retention: Duration
    package let work: BlockingWork<Stores>
    private let ingest: Ingest
    private let pruned: Counter
    private let logger = Logger(label: "chartwarden.retention")

    init(retention: Duration, work: BlockingWork<Stores>, ingest: Ingest, metricsFactory: any MetricsFactory) {
        self.retention = retention
        self.work = work
        self.ingest = ingest
        pruned = Counter(label: "chartwarden_retention_pruned_total", dimensions: [], factory: metricsFactory)
    }

    /// What is older than `now` minus the retention is dropped. Returns the rows removed
    /// (stages included). A failed batch is logged and ends the pass; the next pass retries.
    @discardableResult
    package func prune(now: Date = Date()) async -> Int {
        let cutoff = now.addingTimeInterval(-Self.seconds(retention))
        var removed = 0
        do {
            let stages = try await work.run { (stores, _) throws(ServiceError) in
                do {
                    return try stores.metadata.bulkLoadCharts(statuses: [.pending]).values.joined().filter { $0.created < cutoff }
                } catch {
                    throw ServiceError(.internalError, "\(error)", cause: error)
                }
            }
            for stage in stages {
                // Audited like any expired stage; its unshared blobs go too.
                try await ingest.expireStage(stage)
                removed += 1
            }
            while true {
                let batch = try await work.run { (stores, _) throws(ServiceError) in
                    do {
                        return try stores.metadata.pruneHistory(olderThan: cutoff, limit: Self.batchSize)
                    } catch {
                        throw ServiceError(.internalError, "\(error)", cause: error)
                    }
                }
                removed += batch
                if batch < Self.batchSize || Task.isCancelled { break }
            }
            // The webhook deliveries log (README, "Webhooks") is history too.
            while true {
                let batch = try await work.run { (stores, _) throws(ServiceError) in
                    do {
                        return try stores.metadata.pruneWebhookAttempts(olderThan: cutoff, limit: Self.batchSize)
                    } catch {
                        throw ServiceError(.internalError, "\(error)")
                    }
                }
                removed += batch
                if batch < Self.batchSize || Task.isCancelled { break }
            }
        } catch {
            logger.error("retention pass failed; the next pass retries", metadata: ["error": "\(error)"])
        }
        if removed > 0 {
            pruned.increment(by: Int64(removed))
            logger.info("retention pruned history", metadata: ["rows": "\(removed)", "before": "\(cutoff)"])
        }
        return removed
    }

    /// How often the sweeper runs: a quarter of the retention, between a second and an hour.
    package var interval: Duration { min(.seconds(3_600), max(.seconds(1), retention / 4)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
