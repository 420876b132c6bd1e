import Storage
import Synchronization
import Testing
@testable import ChartWardenCore

/// A sweeper round runs its job only when no one else runs it (another replica on the same
/// database holds its lock): the round is skipped, not queued, and runs again once released.
@Suite struct ExclusiveJobRunTests {
    @Test func aRoundIsSkippedWhileTheJobRunsElsewhereAndRunsOnceItEnds() async throws {
        let harness = try await CoreHarness()
        defer { harness.remove() }
        let work = harness.service.ingest.work
        let rounds = Atomic<Int>(0)
        let elsewhere = try #require(try harness.metadata.beginExclusiveJob(StagingSweeper.jobName))
        #expect(await work.exclusively(StagingSweeper.jobName) { rounds.add(1, ordering: .relaxed) } == false)
        #expect(rounds.load(ordering: .relaxed) == 0)
        // Another job is not held up by it.
        #expect(await work.exclusively(RetentionSweeper.jobName) { rounds.add(1, ordering: .relaxed) })
        elsewhere.end()
        #expect(await work.exclusively(StagingSweeper.jobName) { rounds.add(1, ordering: .relaxed) })
        #expect(rounds.load(ordering: .relaxed) == 2)
        // Ended with the round: the next round gets it again.
        #expect(await work.exclusively(StagingSweeper.jobName) {})
    }
}
