import Storage
import Testing

/// Jobs that must run once across replicas (sweepers): a second start of a running job is
/// refused, on PostgreSQL also from another store on the same database (another replica), and
/// the job is free again once ended.
@Suite struct ExclusiveJobTests {
    @Test(arguments: StoreBackend.available)
    func aRunningJobIsNotStartedTwice(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        // On PostgreSQL the second store stands for another replica.
        let other = backend == .postgres ? try opened.reopen() : opened.store
        let job = try #require(try opened.store.beginExclusiveJob("staging-sweeper"))
        #expect(try other.beginExclusiveJob("staging-sweeper") == nil)
        #expect(try opened.store.beginExclusiveJob("staging-sweeper") == nil)
        // Another job is not in the way.
        let retention = try #require(try other.beginExclusiveJob("retention-sweeper"))
        job.end()
        job.end() // a second end does nothing
        let next = try #require(try other.beginExclusiveJob("staging-sweeper"))
        #expect(try opened.store.beginExclusiveJob("staging-sweeper") == nil)
        next.end()
        retention.end()
        try opened.store.checkReachable()
    }
}
