import ChartIndex
import ChartModel
import Foundation
import Logging
import NIOCore
import OpenSSLSupport
import Storage
import Synchronization

/// One configured repository: its settings and its index kept rendered in memory, one fragment
/// per chart (`FragmentIndex`) in the repository's `indexFormat`.
///
/// Writers (uploads, deletes, quarantines, restores) serialize on `writer`, re-render only the
/// fragment of the chart they touched, and swap in a new `IndexSnapshot` with the next generation;
/// readers take the snapshot under a short lock. A change costs the size of its chart, not of the
/// repository: the served document is the chain of the fragments' buffers, never joined. Every
/// writer takes an `OnThreadPool`, so rendering never runs on an event loop.
public final class ChartRepository: Sendable {
    public let configuration: ChartWardenConfiguration.Repository
    package let publicURL: String?

    private struct WriterState {
        var index: FragmentIndex
        var files: ShardedFileMap<ServedFile> = [:]
        /// Quarantined files and why: downloads answer 403 with the reason.
        var withheld: ShardedFileMap<String> = [:]
        /// The document's `generated`: the time of the index's last change. It changes only with the
        /// index's generation, so one ETag never names two documents.
        var generated = Date()
        var generation: UInt64 = 0
        /// Renderings not in the store yet, by row id (`takeUnstoredFragments`).
        var unstored: [Int64: StoredIndexFragment] = [:]
    }

    private let writer: Mutex<WriterState>
    /// Held while a committed row is re-read and applied, so publishes land in commit order.
    private let commitOrder = Mutex(())
    private let current: Mutex<IndexSnapshot>
    /// `current`'s generation, readable without the lock or a copy of the snapshot: a connection
    /// that keeps the answer it prepared checks this per request (`HelmFastPathHandler`).
    private let currentGeneration = Atomic<UInt64>(0)

    public var name: String { configuration.name }

    package init(configuration: ChartWardenConfiguration.Repository, publicURL: String?) {
        self.configuration = configuration
        self.publicURL = publicURL
        let state = WriterState(index: Self.emptyIndex(configuration))
        writer = Mutex(state)
        current = Mutex(Self.snapshot(of: state))
    }

    private static func emptyIndex(_ configuration: ChartWardenConfiguration.Repository) -> FragmentIndex {
        FragmentIndex(entries: [], format: configuration.indexFormat, generation: IndexGeneration(repository: configuration.name))
    }

    package var snapshot: IndexSnapshot { current.withLock { $0 } }

    /// The generation of `snapshot`, set in the same critical section that swaps it in.
    package var generation: UInt64 { currentGeneration.load(ordering: .acquiring) }

    /// The base URL chart links use: `publicURL/R` when configured, relative otherwise.
    private var baseURL: String? {
        guard let publicURL else { return nil }
        return publicURL + configuration.pathPrefix
    }

    package func entry(for record: ChartVersionRecord, decoder: JSONDecoder = JSONDecoder()) throws -> IndexEntry {
        let metadata = try decoder.decode(ChartMetadata.self, from: Data(record.metadata.utf8))
        return IndexEntry(metadata: metadata, digest: record.digest, created: IndexTimestamp.format(record.created),
                          urls: [IndexEntry.chartURL(name: record.name, version: record.version, baseURL: baseURL)])
    }

    private static func files(for record: ChartVersionRecord) -> [(String, ServedFile)] {
        var files: [(String, ServedFile)] = []
        let fileName = IndexEntry.fileName(name: record.name, version: record.version)
        if let digest = SHA256Digest(hex: record.digest) {
            files.append((fileName, ServedFile(kind: .chart, digest: digest, size: record.size)))
        }
        if let hex = record.provenanceDigest, let digest = SHA256Digest(hex: hex) {
            files.append((fileName + ".prov", ServedFile(kind: .provenance, digest: digest, size: -1)))
        }
        return files
    }

    /// The key a stored rendering of `record` must carry to be served as is.
    private func renderKey(_ record: ChartVersionRecord) -> String {
        RenderedVersion.renderKey(format: configuration.indexFormat, baseURL: baseURL, digest: record.digest,
                                  createdSeconds: record.created.timeIntervalSince1970)
    }

    /// Replaces the whole index with the active records (startup warm-up); quarantined records
    /// are remembered so their downloads say why they are withheld.
    ///
    /// A record whose stored rendering (`stored`, by row id) carries the key this repository
    /// expects is joined as those bytes, without decoding its metadata. Any other record is
    /// rendered, and its rendering waits in `takeUnstoredFragments` for the caller to store.
    ///
    /// Records stored before a validation rule existed (an annotation key too long for Go's YAML
    /// reader) would break index.yaml for every client: each record rendered is validated again,
    /// and one that fails (or whose stored metadata no longer decodes) is left out of the index
    /// with a warning naming it. Its files stay downloadable.
    /// Returns the names of the records left out.
    @discardableResult
    package func load(_ records: [ChartVersionRecord], quarantined: [ChartVersionRecord] = [],
                      stored: [Int64: StoredIndexFragment] = [:],
                      logger: Logger = Logger(label: "chartwarden.repository"), _ onPool: OnThreadPool) throws -> [String] {
        let format = configuration.indexFormat
        var versions: [RenderedVersion] = []
        versions.reserveCapacity(records.count)
        var toRender: [ChartVersionRecord] = []
        for record in records {
            if let id = record.id, let fragment = stored[id], fragment.renderKey == renderKey(record) {
                versions.append(RenderedVersion(name: record.name, version: record.version, item: fragment.item,
                                                apiJSON: fragment.apiJSON))
            } else {
                toRender.append(record)
            }
        }
        // Decoded and rendered on every core, one decoder per chunk: without stored renderings
        // (a first start, a changed publicURL) this is most of a start at 100,000 versions.
        let decoded = toRender.concurrentMapChunks { chunk in
            let decoder = JSONDecoder()
            return chunk.map { record -> Result<RenderedVersion, any Error> in
                Result {
                    let entry = try entry(for: record, decoder: decoder)
                    try entry.metadata.validate()
                    return RenderedVersion(entry: entry, format: format)
                }
            }
        }
        var leftOut: [String] = []
        var unstored: [Int64: StoredIndexFragment] = [:]
        for (record, result) in zip(toRender, decoded) {
            switch result {
            case .success(let version):
                versions.append(version)
                if let id = record.id {
                    unstored[id] = StoredIndexFragment(renderKey: renderKey(record), item: version.item, apiJSON: version.apiJSON)
                }
            case .failure(let error):
                let chart = IndexEntry.fileName(name: record.name, version: record.version)
                leftOut.append(chart)
                logger.warning("stored chart left out of index.yaml: its metadata fails validation", metadata: [
                    "repository": "\(name)", "chart": "\(chart)", "reason": "\(error)",
                ])
            }
        }
        // The index is built while this thread maps the files: both read every row.
        let generation = IndexGeneration(repository: name)
        let frozenVersions = versions
        let (index, (files, withheld)) = try concurrently(
            { FragmentIndex(versions: frozenVersions, format: format, generation: generation) },
            { () -> (ShardedFileMap<ServedFile>, ShardedFileMap<String>) in
                var files: ShardedFileMap<ServedFile> = [:]
                for record in records {
                    for (name, file) in Self.files(for: record) { files[name] = file }
                }
                var withheld: ShardedFileMap<String> = [:]
                for record in quarantined {
                    for (name, _) in Self.files(for: record) { withheld[name] = record.statusReason ?? "quarantined" }
                }
                return (files, withheld)
            })
        writer.withLock { state in
            state.index = index
            state.unstored = unstored
            state.files = files
            state.withheld = withheld
            state.generated = records.map(\.created).max() ?? Date()
            publish(&state)
        }
        return leftOut
    }

    /// Renderings made since the last call that the store does not have yet (by row id): the
    /// caller stores them, so the next start joins them instead of rendering.
    package func takeUnstoredFragments() -> [(id: Int64, fragment: StoredIndexFragment)] {
        writer.withLock { state in
            defer { state.unstored = [:] }
            return state.unstored.map { ($0.key, $0.value) }
        }
    }

    /// How many renderings wait for `takeUnstoredFragments`.
    package var unstoredFragmentCount: Int { writer.withLock { $0.unstored.count } }

    /// Runs `body` (re-read a committed row, apply it) alone among the publishes of this repository.
    package func inCommitOrder(_ body: () throws -> Void) throws {
        try commitOrder.withLock { _ in try body() }
    }

    /// Adds or replaces one version in the index.
    package func didPublish(_ record: ChartVersionRecord, _ onPool: OnThreadPool) throws {
        let version = RenderedVersion(entry: try entry(for: record), format: configuration.indexFormat)
        writer.withLock { state in
            state.index.publish(version)
            if let id = record.id {
                state.unstored[id] = StoredIndexFragment(renderKey: renderKey(record), item: version.item, apiJSON: version.apiJSON)
            }
            let fileName = IndexEntry.fileName(name: record.name, version: record.version)
            state.files[fileName + ".prov"] = nil
            state.withheld[fileName] = nil
            state.withheld[fileName + ".prov"] = nil
            for (name, file) in Self.files(for: record) { state.files[name] = file }
            state.generated = Date()
            publish(&state)
        }
    }

    /// Withholds one version: out of the index, downloads refused with `reason`.
    package func didQuarantine(_ record: ChartVersionRecord, reason: String, _ onPool: OnThreadPool) {
        writer.withLock { state in
            let removed = state.index.remove(name: record.name, version: record.version)
            for (name, _) in Self.files(for: record) {
                state.files[name] = nil
                state.withheld[name] = reason
            }
            if removed { state.generated = Date() }
            publish(&state)
        }
    }

    /// Removes one version (active or quarantined) from the index and its files from downloads.
    package func didRemove(name: String, version: String, _ onPool: OnThreadPool) {
        writer.withLock { state in
            let removed = state.index.remove(name: name, version: version)
            let fileName = IndexEntry.fileName(name: name, version: version)
            for file in [fileName, fileName + ".prov"] {
                state.files[file] = nil
                state.withheld[file] = nil  // a deleted quarantined version is missing, no longer withheld
            }
            if removed { state.generated = Date() }
            publish(&state)
        }
    }

    private func publish(_ state: inout WriterState) {
        state.generation += 1
        let snapshot = Self.snapshot(of: state)
        current.withLock {
            $0 = snapshot
            currentGeneration.store(snapshot.generation, ordering: .releasing)
        }
    }

    /// The chain of the current fragments: as many buffers as charts are shared, none copied.
    private static func snapshot(of state: WriterState) -> IndexSnapshot {
        IndexSnapshot(generation: state.generation, served: state.index.served(generated: IndexTimestamp.format(state.generated)),
                      files: state.files, withheld: state.withheld, index: state.index)
    }

    // MARK: queries (served from memory)

    package var chartNames: [String] { snapshot.index.chartNames }

    /// Version texts of one chart, newest first.
    package func versions(named name: String) -> [String] {
        snapshot.index.versions(named: name)
    }

    /// The API's JSON object of each version of one chart, newest first.
    package func versionsJSON(named name: String) -> [(version: String, json: ByteBuffer)] {
        snapshot.index.versionsJSON(named: name)
    }
}
