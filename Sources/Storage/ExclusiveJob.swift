import Synchronization

/// A running job that no other replica runs at the same time (`StoreCoordination`). `end()`
/// releases it once; later calls do nothing.
public final class ExclusiveJob: Sendable {
    public let name: String
    private let release: Mutex<(@Sendable () -> Void)?>

    public init(name: String, release: @escaping @Sendable () -> Void) {
        self.name = name
        self.release = Mutex(release)
    }

    public func end() {
        release.withLock { release in
            let taken = release
            release = nil
            return taken
        }?()
    }
}
