import ServiceLifecycle

/// Expires staged charts whose prov never came, and OCI uploads no manifest took (with idle
/// upload sessions). Stages are also checked when a prov arrives,
/// so this sweep only keeps forgotten ones from lingering. Upload sessions live in this
/// replica's memory and are expired here each round; the stored stages and uploads are swept by
/// one replica at a time. Stops at once on graceful shutdown.
package struct StagingSweeper: Service {
    package let service: ChartService
    package let interval: Duration
    /// The lock of this job across replicas (`StoreCoordination.beginExclusiveJob`).
    package static let jobName = "staging-sweeper"

    package init(service: ChartService, interval: Duration) {
        self.service = service
        self.interval = interval
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await service.oci.expireSessions()
                    // Stages and uploaded blobs are shared by every replica on one database: one sweeps.
                    await service.ingest.work.exclusively(Self.jobName) {
                        await service.ingest.expireStages()
                        await service.oci.sweepUploadedBlobs()
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Shutdown: not a failure of the service group.
        }
    }
}
