extension SQLiteMetadataStore {
    /// A file in the data directory: reachable while the process runs.
    public func checkReachable() throws(StorageError) {}

    public func beginExclusiveJob(_ name: String) throws(StorageError) -> ExclusiveJob? {
        jobLocks.begin(name)
    }
}
