import ChartWardenCore
import HTTPTypes
import NIOCore
import OpenSSLSupport
import Synchronization

/// The 200 answers of index.yaml and the heads of chart files, serialized once per snapshot
/// generation of each repository, so neither the router nor the fast path formats headers per
/// request. The core's snapshots know no HTTP; this cache is their HTTP face.
final class HelmAnswerCache: Sendable {
    private struct Entry {
        let generation: UInt64
        let plainOK: HelmResponses.Answer
        /// Made once the snapshot's gzip form exists (`Catalog.gzippedIndex`).
        var gzipOK: HelmResponses.Answer?
        /// Built on first download of each file in this generation.
        var files: [SHA256Digest: HelmResponses.Answer] = [:]
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The 200 answer for the snapshot's index: the chain of its buffers, or the gzip form; nil
    /// when gzip is asked for and not built yet (building it blocks: not under this lock).
    func indexOK(_ snapshot: IndexSnapshot, repository: String, gzip: Bool) -> HelmResponses.Answer? {
        entries.withLock { entries in
            var entry = current(&entries, snapshot, repository)
            guard gzip else { return entry.plainOK }
            if let gzipOK = entry.gzipOK { return gzipOK }
            guard snapshot.served.isGzipBuilt else { return nil }
            let gzipped = snapshot.served.gzipped()
            let headers = HelmResponses.indexOKHeaders(snapshot.served, gzip: true, length: gzipped.readableBytes)
            let answer = HelmResponses.Answer(status: .ok, headers: headers, body: [gzipped],
                                              serializedHead: HelmResponses.serializeHead(.ok, headers))
            entry.gzipOK = answer
            if entries[repository]?.generation == snapshot.generation { entries[repository] = entry }
            return answer
        }
    }

    /// The 200 head (no body) of a file whose size is known up front, in the snapshot's generation.
    func fileOK(_ file: ServedFile, in snapshot: IndexSnapshot, repository: String) -> HelmResponses.Answer? {
        guard file.size >= 0 else { return nil }
        return entries.withLock { entries in
            _ = current(&entries, snapshot, repository)
            if let answer = entries[repository]?.files[file.digest] { return answer }
            let headers = HelmResponses.fileOKHeaders(file, length: Int(file.size))
            let answer = HelmResponses.Answer(status: .ok, headers: headers, serializedHead: HelmResponses.serializeHead(.ok, headers))
            entries[repository]?.files[file.digest] = answer
            return answer
        }
    }

    /// The entry of `snapshot`'s generation, rebuilt when the repository published a newer one.
    /// A reader holding an older snapshot than the cached one is answered from its own snapshot.
    private func current(_ entries: inout [String: Entry], _ snapshot: IndexSnapshot, _ repository: String) -> Entry {
        if let entry = entries[repository], entry.generation == snapshot.generation { return entry }
        let entry = Self.entry(for: snapshot)
        if (entries[repository]?.generation ?? 0) < snapshot.generation || entries[repository] == nil {
            entries[repository] = entry
        }
        return entry
    }

    private static func entry(for snapshot: IndexSnapshot) -> Entry {
        let served = snapshot.served
        let headers = HelmResponses.indexOKHeaders(served, gzip: false, length: served.contentLength)
        return Entry(generation: snapshot.generation,
                     plainOK: .init(status: .ok, headers: headers, body: served.chunks,
                                    serializedHead: HelmResponses.serializeHead(.ok, headers)))
    }
}
