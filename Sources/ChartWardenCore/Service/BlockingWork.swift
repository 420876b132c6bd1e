import NIOPosix

/// Proof that code runs on the blocking thread pool. Only `BlockingWork.run` makes one, so an API
/// that takes it (index rendering in `ChartRepository`) cannot be called from an event loop or
/// the cooperative pool by mistake.
package struct OnThreadPool: Sendable {
    fileprivate init() {}
}

/// The one seam for blocking work: SQLite, blob files, GnuPG, libarchive, hashing and index
/// rendering. The resources it guards are reachable only inside `run`, which hops to the NIO
/// thread pool; errors stay typed, and a pool that is shutting down answers 503.
package struct BlockingWork<Resource: Sendable>: Sendable {
    private let resource: Resource
    private let threadPool: NIOThreadPool

    package init(_ resource: Resource, threadPool: NIOThreadPool) {
        self.resource = resource
        self.threadPool = threadPool
    }

    package func run<T: Sendable>(_ body: @escaping @Sendable (Resource, OnThreadPool) throws(ServiceError) -> T)
        async throws(ServiceError) -> T {
        do {
            return try await threadPool.runIfActive { [resource] in try body(resource, OnThreadPool()) }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.unavailable, "the server is shutting down")
        }
    }
}
