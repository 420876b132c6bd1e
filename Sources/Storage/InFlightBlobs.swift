import OpenSSLSupport
import Synchronization

/// Blobs a publisher has written (or reused) but whose metadata row is not committed yet.
///
/// Blobs are content-addressed and shared, so "no row references it" is not enough to delete
/// one: a concurrent upload of the same bytes may have found the file already in place and be
/// about to commit a row pointing at it. Publishers register their digests before the blob
/// write and release them after the commit; `reclaim` checks registrations and references and
/// deletes under the same lock, so a deletion can never fall between another writer's blob
/// write and its commit. A crash drops the registrations with the process; the worst left
/// behind is an unreferenced blob, which is harmless.
public final class InFlightBlobs: Sendable {
    private let pending = Mutex<[String: Int]>([:])

    public init() {}

    /// Runs `body` with `digests` registered as in flight.
    public func holding<T>(_ digests: [SHA256Digest], _ body: () throws -> T) rethrows -> T {
        let keys = digests.map(\.hex)
        pending.withLock { pending in
            for key in keys { pending[key, default: 0] += 1 }
        }
        defer {
            pending.withLock { pending in
                for key in keys {
                    let remaining = (pending[key] ?? 1) - 1
                    pending[key] = remaining > 0 ? remaining : nil
                }
            }
        }
        return try body()
    }

    /// Deletes each blob that no row references and no publisher holds. Returns the deleted ones.
    @discardableResult
    public func reclaim(_ digests: [SHA256Digest], blobs: any BlobStore, metadata: any MetadataStore)
        throws(StorageError) -> [SHA256Digest] {
        try pending.withLock { pending throws(StorageError) in
            var deleted: [SHA256Digest] = []
            for digest in digests where pending[digest.hex] == nil {
                guard try !metadata.isBlobReferenced(digest.hex) else { continue }
                try? blobs.delete(digest)
                deleted.append(digest)
            }
            return deleted
        }
    }

    /// Deletes every stored blob that no row references and no publisher holds: what a crash
    /// between a blob's write and its row's commit left behind. Blobs written after the listing
    /// are not considered; the references are read and the deletions made under the same lock
    /// as `reclaim`, so a publish that registers its digests later writes its blob afresh.
    /// Returns the deleted ones.
    @discardableResult
    public func sweepOrphans(blobs: any BlobStore, metadata: any MetadataStore) throws(StorageError) -> [SHA256Digest] {
        let stored = try blobs.allDigests()
        guard !stored.isEmpty else { return [] }
        return try pending.withLock { pending throws(StorageError) in
            let referenced = try metadata.referencedBlobDigests()
            var deleted: [SHA256Digest] = []
            for digest in stored where pending[digest.hex] == nil && !referenced.contains(digest.hex) {
                try? blobs.delete(digest)
                deleted.append(digest)
            }
            return deleted
        }
    }
}
