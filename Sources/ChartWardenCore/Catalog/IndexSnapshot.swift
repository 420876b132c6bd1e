import ChartIndex
import NIOCore

/// What GETs read: the served index (a chain of per-chart buffers with its ETag; gzip built on
/// first demand), and the map of downloadable files. Replaced whole on every change, so a reader
/// never sees half an update and never touches SQLite or renders anything. The buffers are shared
/// with the repository's index and with every response.
package struct IndexSnapshot: Sendable {
    /// One more than the repository's previous snapshot: what derived caches (the server's
    /// serialized response heads) are keyed by.
    package let generation: UInt64
    package let served: ServedIndex
    package let files: ShardedFileMap<ServedFile>
    /// Quarantined file names and the reason given to anyone who asks for them.
    package let withheld: ShardedFileMap<String>
    /// The entries behind the document, for the list and describe APIs.
    package let index: FragmentIndex
}
