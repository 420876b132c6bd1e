/// What a deployment of several replicas needs from the metadata store besides data: whether it
/// can be reached now, and jobs that must run on one replica at a time.
public protocol StoreCoordination: Sendable {
    /// A cheap round trip to the store; throws `.unavailable` when it cannot be reached. What
    /// `/ready` asks. An embedded store is always reachable.
    func checkReachable() throws(StorageError)
    /// Starts the job `name` unless it already runs (in this process or, on a shared database,
    /// on another replica): nil means "skip this round". The caller ends the returned job when
    /// done; a replica that dies holding it releases it with its connection.
    func beginExclusiveJob(_ name: String) throws(StorageError) -> ExclusiveJob?
}
