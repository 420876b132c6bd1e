import Logging
import Storage

extension BlockingWork where Resource == Stores {
    private static var jobLogger: Logger { Logger(label: "chartwarden.jobs") }

    /// Runs `body` unless job `name` runs elsewhere (another replica on the same database, or an
    /// earlier round still going here): jobs that must run once across replicas (sweepers) call
    /// this each round and simply skip a round they do not get. A store that cannot be reached
    /// skips it too. Returns whether `body` ran.
    @discardableResult
    package func exclusively(_ name: String, _ body: () async -> Void) async -> Bool {
        let job: ExclusiveJob?
        do {
            job = try await run { (stores, _) throws(ServiceError) in
                do {
                    return try stores.metadata.beginExclusiveJob(name)
                } catch {
                    throw ServiceError(.internalError, "\(error)", cause: error)
                }
            }
        } catch {
            Self.jobLogger.warning("job skipped: its lock cannot be taken", metadata: ["job": "\(name)", "error": "\(error.message)"])
            return false
        }
        guard let job else {
            Self.jobLogger.debug("job skipped: it runs elsewhere", metadata: ["job": "\(name)"])
            return false
        }
        await body()
        // Ending may talk to the database: on the pool. When the pool is shutting down, the
        // process exits, and the job's connection (and lock) with it.
        _ = try? await run { (_, _) throws(ServiceError) in job.end() }
        return true
    }
}
