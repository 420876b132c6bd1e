import Foundation
import GRDB
import Synchronization

/// Moves the SQLite write-ahead log into the database file from a thread and a connection of its
/// own. Left to SQLite, the commit that crosses `wal_autocheckpoint` pages runs the checkpoint
/// itself, fsync of the database file included: one upload in about forty took three times as
/// long as the others, whatever the repository's size. Here commits only count themselves; every
/// `commitsPerCheckpoint` commits the thread runs a PASSIVE checkpoint, which waits for no reader
/// or writer. SQLite's own autocheckpoint stays as a backstop at a much larger size, should this
/// thread fall behind.
final class WALCheckpointer: Sendable {
    /// SQLite's own checkpoint, on the committing connection, only past this many WAL pages.
    static let backstopPages = 16_384
    let commitsPerCheckpoint: Int

    private struct State {
        var commitsSinceCheckpoint = 0
        var stopping = false
        var completed = 0
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let connection: DatabaseQueue

    init(path: String, commitsPerCheckpoint: Int = 16) throws {
        self.commitsPerCheckpoint = commitsPerCheckpoint
        var configuration = Configuration()
        configuration.label = "wal-checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Checkpoints finished, for tests.
    var completedCheckpoints: Int { state.withLock { $0.completed } }

    /// Called after each commit; never blocks beyond a counter's lock.
    func committed() {
        let due = state.withLock { state -> Bool in
            state.commitsSinceCheckpoint += 1
            return state.commitsSinceCheckpoint == commitsPerCheckpoint
        }
        if due { wakeUp.signal() }
    }

    func stop() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
        stopped.wait()
    }

    private func run() {
        Thread.current.name = "cw-checkpoint"
        while true {
            wakeUp.wait()
            let stopping = state.withLock { state -> Bool in
                state.commitsSinceCheckpoint = 0
                return state.stopping
            }
            if stopping { break }
            // A failure (the file busy, gone) leaves the backstop to SQLite: nothing to report.
            if (try? connection.writeWithoutTransaction({ try $0.checkpoint(.passive) })) != nil {
                state.withLock { $0.completed += 1 }
            }
        }
        stopped.signal()
    }
}
