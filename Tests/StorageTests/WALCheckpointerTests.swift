import Foundation
import GRDB
@testable import Storage
import Testing

@Suite struct WALCheckpointerTests {
    /// Commits do not checkpoint at SQLite's default 1,000 pages (that commit paid the checkpoint's
    /// fsync): the checkpointer's own thread does, every `commitsPerCheckpoint` commits.
    @Test func commitsLeaveTheCheckpointToItsThread() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        let backstop = try await store.database.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(backstop == WALCheckpointer.backstopPages)
        let before = store.checkpointer.completedCheckpoints
        let batch = store.checkpointer.commitsPerCheckpoint
        // Each batch of commits wakes the thread once (a batch that arrives before it woke shares
        // that checkpoint), so the next batch starts after the last checkpoint finished.
        for round in 1...2 {
            for number in 0..<batch { try store.ensureRepository("repo-\(round)-\(number)") }
            let deadline = ContinuousClock.now + .seconds(30)
            while store.checkpointer.completedCheckpoints < before + round, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))  // polling period, bounded by the deadline
            }
            #expect(store.checkpointer.completedCheckpoints >= before + round, "round \(round)")
        }
        // Everything committed is in the database file: a fresh connection reads it all.
        let count = try await store.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM repositories") }
        #expect(count == batch * 2)
    }
}
