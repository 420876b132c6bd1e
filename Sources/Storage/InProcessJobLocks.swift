import Synchronization

/// Exclusive jobs of an embedded store: only one process uses its data directory, so a job
/// needs only to exclude itself within the process (a sweep still running when the next round
/// starts).
public final class InProcessJobLocks: Sendable {
    private let running = Mutex<Set<String>>([])

    public init() {}

    public func begin(_ name: String) -> ExclusiveJob? {
        guard running.withLock({ $0.insert(name).inserted }) else { return nil }
        let release: @Sendable () -> Void = { [self] in _ = running.withLock { $0.remove(name) } }
        return ExclusiveJob(name: name, release: release, abandon: release)
    }
}
