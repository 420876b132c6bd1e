import Foundation
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

extension ExclusiveJobTests {
    /// A job dropped without `end()` (its task torn down) does not hold the job forever: on
    /// PostgreSQL its connection is closed, which releases the lock on the server.
    @Test(arguments: StoreBackend.available)
    func aJobDroppedWithoutEndingIsReleased(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let other = backend == .postgres ? try opened.reopen() : opened.store
        do {
            _ = try #require(try opened.store.beginExclusiveJob("retention-sweeper"))
        }
        // The server notices the closed connection a moment later.
        var next: ExclusiveJob?
        for _ in 0..<100 where next == nil {
            next = try other.beginExclusiveJob("retention-sweeper")
            if next == nil { usleep(50_000) }  // polling, bounded by the loop
        }
        #expect(next != nil)
        next?.end()
    }
}
