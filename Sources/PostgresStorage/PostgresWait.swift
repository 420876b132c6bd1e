import Dispatch
import NIOCore
import Synchronization

extension EventLoopFuture where Value: Sendable {
    /// Blocks the calling thread until the future completes. Unlike `wait()`, it does not refuse
    /// to run on a thread of another event loop group: `serve` opens the stores once at start from
    /// such a thread (as it opens SQLite). The futures waited on here always run on the
    /// PostgreSQL pool's own group, never the caller's, so waiting cannot deadlock; at run time
    /// the stores are reached only from the thread pool (`BlockingWork`).
    func blockingResult() throws -> Value {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}
