import ChartIndex
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import OpenSSLSupport
import Storage

/// What GETs serve: one `ChartRepository` (snapshot of entries and file digests, with a
/// generation) per configured repository, and the bytes of recent downloads.
package final class Catalog: Sendable {
    private let repositories: [String: ChartRepository]
    package let blobCache: BlobCache
    private let work: BlockingWork<Stores>

    package init(configuration: ChartWardenConfiguration, work: BlockingWork<Stores>) {
        var repositories: [String: ChartRepository] = [:]
        for repository in configuration.repositories {
            repositories[repository.name] = ChartRepository(configuration: repository, publicURL: configuration.server.publicURL)
        }
        self.repositories = repositories
        self.work = work
        blobCache = BlobCache(budgetBytes: 256 << 20, largestEntryBytes: 8 << 20)
    }

    package func repository(named name: String) -> ChartRepository? { repositories[name] }

    package var repositoryNames: [String] { repositories.keys.sorted() }

    /// Replaces every repository's snapshot with the stored active and quarantined charts, read
    /// in one statement (start-up reads every row once, not one query per repository or chart),
    /// joined with their stored index renderings (one more statement, run at the same time on a
    /// second thread); rows rendered anew (none
    /// stored, or made for other settings) are stored in one transaction for the next start.
    package func load(from metadata: any MetadataStore, _ onPool: OnThreadPool) throws(ServiceError) {
        do {
            var (byRepository, stored) = try concurrently(
                { try metadata.bulkLoadCharts(statuses: [.active, .quarantined]) },
                { try metadata.bulkLoadIndexFragments(statuses: [.active]) })
            for (name, repository) in repositories {
                // Taken out and filtered in place: 100,000 rows are held once, not copied per status.
                var active = byRepository.removeValue(forKey: name) ?? []
                let quarantined = active.filter { $0.status == .quarantined }
                active.removeAll { $0.status != .active }
                var mine: [Int64: StoredIndexFragment] = [:]
                for record in active { if let id = record.id, let fragment = stored.removeValue(forKey: id) { mine[id] = fragment } }
                try repository.load(active, quarantined: quarantined, stored: mine, onPool)
            }
            stored = [:]
        } catch {
            throw ServiceError(.internalError, "cannot load the stored charts: \(error)", cause: error)
        }
        for repository in repositories.values { Self.storeRenderings(of: repository, in: metadata) }
        Self.returnFreedMemory()
    }

    /// The rows, the stored bytes and the per-thread buffers of a load are freed by now: glibc's
    /// `malloc_trim` gives their pages back rather than keep them resident for good (tens of MiB
    /// at 100,000 versions). Looked up at run time: Swift's Glibc module leaves out `malloc.h`.
    private static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW) else { return }
        defer { dlclose(handle) }
        guard let symbol = dlsym(handle, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    /// Renderings a publish made wait in the repository until this many: then one transaction
    /// stores them. A crash loses at most these, which the next start renders again.
    static let unstoredFragmentBatch = 256

    /// Stores the renderings `repository` made that the store lacks. A failure only costs the next
    /// start some rendering: logged, not thrown.
    /// Blocking: call on the pool.
    package static func storeRenderings(of repository: ChartRepository, in metadata: any MetadataStore) {
        let fragments = repository.takeUnstoredFragments()
        guard !fragments.isEmpty else { return }
        do {
            try metadata.storeIndexFragments(fragments)
        } catch {
            Self.logger.warning("index renderings not stored; the next start renders them again", metadata: [
                "repository": "\(repository.name)", "count": "\(fragments.count)", "reason": "\(error)",
            ])
        }
    }

    private static let logger = Logger(label: "chartwarden.catalog")

    /// The bytes of `N-V.tgz` or `N-V.tgz.prov` as `snapshot` lists them, from memory when
    /// recently served.
    package func file(named fileName: String, in repository: ChartRepository, snapshot: IndexSnapshot? = nil)
        async throws(ServiceError) -> (ServedFile, ByteBuffer) {
        let snapshot = snapshot ?? repository.snapshot
        guard let file = snapshot.files[fileName] else {
            if let reason = snapshot.withheld[fileName] {
                throw ServiceError(.forbidden, "\(fileName) is quarantined: \(reason)")
            }
            throw ServiceError(.notFound, "\(fileName) not found")
        }
        if let cached = blobCache.get(file.digest) { return (file, cached) }
        let buffer: ByteBuffer = try await work.run { [blobCache] (stores, _) throws(ServiceError) in
            do {
                let buffer = ByteBuffer(bytes: try stores.blobs.read(file.digest))
                blobCache.put(file.digest, buffer)
                return buffer
            } catch {
                throw ServiceError(.internalError, "\(fileName) is unreadable: \(error)", cause: error)
            }
        }
        return (file, buffer)
    }

    /// The gzip form of `snapshot`'s index. Compressing the whole document blocks, so the first
    /// request of a generation that asks for gzip compresses it on the thread pool; later ones
    /// share it (Helm never asks for gzip, so most generations are never compressed).
    package func gzippedIndex(of snapshot: IndexSnapshot) async throws(ServiceError) -> ByteBuffer {
        let served = snapshot.served
        if served.isGzipBuilt { return served.gzipped() }
        return try await work.run { _, _ in served.gzipped() }
    }

    /// Puts the committed row of a version into the in-memory index. The row is re-read under
    /// the repository's commit-order lock, so concurrent publishes of one version (forced
    /// overwrites) end with the last committed bytes served, never an older one. Blocking.
    package static func publishCommitted(_ record: ChartVersionRecord, in repository: ChartRepository,
                                         metadata: any MetadataStore, _ onPool: OnThreadPool) throws(ServiceError) {
        do {
            try repository.inCommitOrder {
                guard let current = try metadata.chart(repository: record.repository, name: record.name,
                                                       version: record.version), current.status == .active
                else { return }
                try repository.didPublish(current, onPool)
            }
            if repository.unstoredFragmentCount >= Catalog.unstoredFragmentBatch {
                Self.storeRenderings(of: repository, in: metadata)
            }
        } catch {
            throw ServiceError(.internalError, "index update failed: \(error)", cause: error)
        }
    }

    package func publishCommitted(_ record: ChartVersionRecord, in repository: ChartRepository) async throws(ServiceError) {
        try await work.run { (stores, onPool) throws(ServiceError) in
            try Self.publishCommitted(record, in: repository, metadata: stores.metadata, onPool)
        }
    }
}
