import Dispatch
import NIOCore
import PostgresNIO
import Synchronization

/// The client-side deadline ran out before PostgreSQL answered (a dead peer, a stuck server).
struct PostgresDeadlineExceeded: Error {
    let limit: TimeAmount
}

extension EventLoopFuture where Value: Sendable {
    /// Blocks the calling thread until the future completes. Unlike `wait()`, it does not refuse
    /// to run on a thread of another event loop group: `serve` opens the stores once at start from
    /// such a thread (as it opens SQLite). The futures waited on here always run on the
    /// PostgreSQL pool's own group, never the caller's, so waiting cannot deadlock; at run time
    /// the stores are reached only from the thread pool (`BlockingWork`).
    /// With `limit`, gives up after that long and throws `PostgresDeadlineExceeded`; the future
    /// still completes later, and the caller must make sure its result is not leaked (close the
    /// connection it waited on).
    func blockingResult(within limit: TimeAmount? = nil) throws -> Value {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        if let limit {
            let deadline = DispatchTime.now() + .nanoseconds(Int(clamping: max(0, limit.nanoseconds)))
            if done.wait(timeout: deadline) == .timedOut { throw PostgresDeadlineExceeded(limit: limit) }
        } else {
            done.wait()
        }
        return try outcome.withLock { $0! }.get()
    }
}

extension PostgresConnection {
    /// Closes without waiting for it, keeping the connection alive until it is closed
    /// (postgres-nio requires a connection to be closed before it is released).
    func discard() {
        (close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
