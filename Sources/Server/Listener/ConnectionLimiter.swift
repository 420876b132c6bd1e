import Synchronization

/// Counts open connections against `server.maxConnections`. Shared by every event loop, so a
/// lock-free counter: one atomic add per accepted connection and one per close.
final class ConnectionLimiter: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    var openConnections: Int { open.load(ordering: .relaxed) }

    /// Takes a slot, or returns false when all `limit` are taken.
    func tryAcquire() -> Bool {
        let (previous, _) = open.add(1, ordering: .relaxed)
        guard previous < limit else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}
