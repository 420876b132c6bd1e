import Logging
import ServiceLifecycle
import TLS
import UnixSignals

/// Rebuilds the TLS context from its files on SIGHUP (certificate rotation). Open connections
/// keep their context; new ones get the new certificate. A failed reload keeps the old context.
struct TLSReloadService: Service {
    let contexts: TLSContextProvider
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                try contexts.reload()
                logger.info("TLS certificate and key reloaded")
            } catch {
                logger.error("TLS reload failed; keeping the previous certificate", metadata: ["error": "\(error)"])
            }
        }
    }
}
