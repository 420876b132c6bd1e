import ServiceLifecycle

/// Runs `Retention` at start and then every `interval`, off the event loops (its store work
/// goes through the thread pool). Stops at once on graceful shutdown, between batches.
package struct RetentionSweeper: Service {
    package let retention: Retention
    /// The lock of this job across replicas (`StoreCoordination.beginExclusiveJob`).
    package static let jobName = "retention-sweeper"

    package init(retention: Retention) {
        self.retention = retention
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    // History is shared by every replica on one database: one prunes it.
                    await retention.work.exclusively(Self.jobName) { await retention.prune() }
                    try await Task.sleep(for: retention.interval)
                }
            }
        } catch is CancellationError {
            // Shutdown: not a failure of the service group.
        }
    }
}
