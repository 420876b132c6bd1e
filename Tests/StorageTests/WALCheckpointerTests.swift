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
        for number in 0..<(store.checkpointer.commitsPerCheckpoint * 2) { try store.ensureRepository("repo-\(number)") }
        let deadline = ContinuousClock.now + .seconds(30)
        while store.checkpointer.completedCheckpoints < before + 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))  // polling period, bounded by the deadline
        }
        #expect(store.checkpointer.completedCheckpoints >= before + 2)
        // Everything committed is in the database file: a fresh connection reads it all.
        let count = try await store.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM repositories") }
        #expect(count == store.checkpointer.commitsPerCheckpoint * 2)
    }
}
