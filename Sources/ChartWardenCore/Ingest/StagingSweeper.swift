import ServiceLifecycle

/// Expires staged charts whose prov never came, and OCI uploads no manifest took (with idle
/// upload sessions). Stages are also checked when a prov arrives,
/// so this sweep only keeps forgotten ones from lingering. Stops at once on graceful shutdown.
package struct StagingSweeper: Service {
    package let service: ChartService
    package let interval: Duration

    package init(service: ChartService, interval: Duration) {
        self.service = service
        self.interval = interval
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await service.ingest.expireStages()
                    await service.oci.sweep()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Shutdown: not a failure of the service group.
        }
    }
}
