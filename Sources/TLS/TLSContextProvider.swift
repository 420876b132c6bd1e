import Synchronization

/// The context new connections use. `reload()` builds a fresh context from the same files (new
/// certificate or key after SIGHUP) and swaps it in; open connections keep the one they started with.
public final class TLSContextProvider: Sendable {
    private let current: Mutex<TLSContext>

    public init(configuration: TLSConfiguration) throws(TLSError) {
        current = Mutex(try TLSContext(configuration: configuration))
    }

    public var context: TLSContext { current.withLock { $0 } }

    /// Rebuilds the context; on failure the old one stays in use and the error is returned.
    public func reload() throws(TLSError) {
        let configuration = context.configuration
        let fresh = try TLSContext(configuration: configuration)
        current.withLock { $0 = fresh }
    }
}
