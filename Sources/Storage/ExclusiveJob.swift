import Synchronization

/// A running job that no other replica runs at the same time (`StoreCoordination`). `end()`
/// releases it once; later calls do nothing. A job dropped without `end()` (its task torn down)
/// is abandoned instead: `abandon` must not block (it runs wherever the last reference goes),
/// and still frees the job, e.g. by closing the connection that holds its lock.
public final class ExclusiveJob: Sendable {
    public let name: String
    private let release: Mutex<(@Sendable () -> Void)?>
    private let abandon: @Sendable () -> Void

    public init(name: String, release: @escaping @Sendable () -> Void, abandon: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.release = Mutex(release)
        self.abandon = abandon
    }

    public func end() {
        take()?()
    }

    private func take() -> (@Sendable () -> Void)? {
        release.withLock { release in
            let taken = release
            release = nil
            return taken
        }
    }

    deinit {
        if take() != nil { abandon() }
    }
}
