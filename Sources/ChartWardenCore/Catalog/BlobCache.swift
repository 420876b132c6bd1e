import NIOCore
import OpenSSLSupport
import Synchronization

/// Recently served chart and prov bytes, so popular charts are answered from memory. Blobs are
/// content-addressed and immutable, so entries never go stale; the oldest are evicted past the
/// byte budget.
package final class BlobCache: Sendable {
    private struct State {
        var entries: [SHA256Digest: ByteBuffer] = [:]
        var order: [SHA256Digest] = []
        var bytes = 0
    }

    private let budget: Int
    private let largestEntry: Int
    private let state = Mutex(State())

    package init(budgetBytes: Int, largestEntryBytes: Int) {
        budget = budgetBytes
        largestEntry = largestEntryBytes
    }

    package func get(_ digest: SHA256Digest) -> ByteBuffer? {
        state.withLock { $0.entries[digest] }
    }

    package func put(_ digest: SHA256Digest, _ buffer: ByteBuffer) {
        guard buffer.readableBytes <= largestEntry else { return }
        state.withLock { state in
            guard state.entries[digest] == nil else { return }
            state.entries[digest] = buffer
            state.order.append(digest)
            state.bytes += buffer.readableBytes
            while state.bytes > budget, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                if let evicted = state.entries.removeValue(forKey: oldest) { state.bytes -= evicted.readableBytes }
            }
        }
    }
}
