import ChartModel
import NIOCore

/// One chart name's versions, newest first (Helm's order), each rendered once in one format, so
/// that rendering the chart's part of the index only joins bytes already written.
///
/// After a render, each version's bytes are a slice of the fragment's buffer (ByteBuffer slices
/// share storage): the index holds every rendered byte once, not once per version and again per
/// fragment.
struct ChartFragment: Sendable {
    struct Version: Sendable {
        let text: String
        let version: SemanticVersion
        /// A YAML list item (`  - apiVersion: ...`) or a JSON object, as the index's format says.
        fileprivate(set) var bytes: ByteBuffer
        /// The API's JSON object in a YAML index; nil in a JSON index, where it is `bytes`.
        let apiJSON: ByteBuffer?

        init(_ rendered: RenderedVersion) {
            text = rendered.version
            // Entries come from validated metadata; an unparsable version sorts as 0.0.0.
            version = SemanticVersion(rendered.version) ?? SemanticVersion("0.0.0")!
            bytes = ByteBuffer(bytes: rendered.item)
            apiJSON = rendered.apiJSON.map { ByteBuffer(bytes: $0) }
        }

        init(entry: IndexEntry, format: RepositoryIndex.Format) {
            self.init(RenderedVersion(entry: entry, format: format))
        }

        /// The version as the API serves it: one JSON object.
        var json: ByteBuffer { apiJSON ?? bytes }
    }

    let name: String
    private(set) var versions: [Version] = []

    init(name: String, versions: [Version] = []) {
        self.name = name
        self.versions = versions.sorted { SemanticVersion.newestFirst($0.version, $1.version) }
    }

    var isEmpty: Bool { versions.isEmpty }

    /// Adds a version in its place, replacing one with the same version text.
    mutating func upsert(_ version: Version) {
        versions.removeAll { $0.text == version.text }
        let position = versions.firstIndex { !SemanticVersion.newestFirst($0.version, version.version) } ?? versions.endIndex
        versions.insert(version, at: position)
    }

    /// Returns false when the version was not there.
    mutating func remove(version: String) -> Bool {
        guard let position = versions.firstIndex(where: { $0.text == version }) else { return false }
        versions.remove(at: position)
        return true
    }

    /// The chart's part of `entries`: `  name:\n  - ...` in YAML; `,"name":[{...},...]` in JSON,
    /// where every fragment starts with the separator and the chain drops it from the first.
    mutating func render(_ format: RepositoryIndex.Format) -> ByteBuffer {
        var head: [UInt8] = []
        switch format {
        case .yaml:
            IndexWriter.appendYAMLFragmentHead(name: name, to: &head)
        case .json:
            head = IndexJSON.entrySeparator + IndexJSON.encode(name) + IndexJSON.nameSeparator + [UInt8(ascii: "[")]
        }
        var out = ByteBuffer()
        out.reserveCapacity(versions.reduce(head.count + 1) { $0 + $1.bytes.readableBytes + 1 })
        out.writeBytes(head)
        var spans: [(offset: Int, length: Int)] = []
        spans.reserveCapacity(versions.count)
        for (position, version) in versions.enumerated() {
            if format == .json && position > 0 { out.writeBytes(IndexJSON.entrySeparator) }
            spans.append((out.writerIndex, version.bytes.readableBytes))
            out.writeImmutableBuffer(version.bytes)
        }
        if format == .json { out.writeInteger(UInt8(ascii: "]")) }
        for (position, span) in spans.enumerated() {
            versions[position].bytes = out.getSlice(at: span.offset, length: span.length)!
        }
        return out
    }
}
