import NIOCore
import PostgresNIO
import Storage

extension PostgresMetadataStore {
    /// The first key of the exclusive jobs' advisory locks ("CWjb"; the second is the name's hash).
    static let jobLockSpace: Int32 = 0x4357_6A62
    /// Readiness asks often and must answer fast: a database slower than this is not ready.
    static let reachableWithin: TimeAmount = .seconds(2)

    public func checkReachable() throws(StorageError) {
        try database.checkReachable(answerLimit: Self.reachableWithin)
    }

    /// A session-level advisory lock, tried (never waited for) on a connection kept out of the
    /// pool for the job's duration: a replica holding it that dies or loses its connection
    /// releases it with the connection, so a job is never stuck behind a dead replica. A database
    /// restart mid-job drops the lock too, and another replica may then start the same job: the
    /// jobs tolerate that (their deletes are conditional: a row or blob changed or gone is left).
    public func beginExclusiveJob(_ name: String) throws(StorageError) -> ExclusiveJob? {
        let session = try database.lend()
        let held: Bool
        do throws(StorageError) {
            guard let row = try session.query("""
                SELECT pg_try_advisory_lock(\(Self.jobLockSpace), hashtext(\(name)))
                """).first else { throw StorageError(.io, "pg_try_advisory_lock returned no row") }
            held = try PostgresRows.decode(row, Bool.self)
        } catch {
            session.close()
            throw error
        }
        guard held else {
            database.giveBack(session)
            return nil
        }
        return ExclusiveJob(name: name, release: { [database] in
            do {
                try session.execute("SELECT pg_advisory_unlock(\(Self.jobLockSpace), hashtext(\(name)))")
                database.giveBack(session)
            } catch {
                // Closing the connection releases the lock as surely.
                session.close()
            }
        }, abandon: { session.close() })
    }
}
