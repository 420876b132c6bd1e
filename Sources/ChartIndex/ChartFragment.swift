import ChartModel

/// One chart name's versions, newest first (Helm's order), each rendered once in one format, so
/// that rendering the chart's part of the index only joins bytes already written.
struct ChartFragment: Sendable {
    struct Version: Sendable {
        let entry: IndexEntry
        let version: SemanticVersion
        /// A YAML list item (`  - apiVersion: ...`) or a JSON object, as the index's format says.
        let bytes: [UInt8]

        init(entry: IndexEntry, format: RepositoryIndex.Format) {
            self.entry = entry
            // Entries come from validated metadata; an unparsable version sorts as 0.0.0.
            version = SemanticVersion(entry.version) ?? SemanticVersion("0.0.0")!
            let value = IndexValue(entry: entry)
            switch format {
            case .yaml:
                var yaml: [UInt8] = []
                IndexWriter.appendYAMLListItem(value, indent: 2, to: &yaml)
                bytes = yaml
            case .json:
                bytes = IndexJSON.encode(value)
            }
        }
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
        versions.removeAll { $0.entry.version == version.entry.version }
        let position = versions.firstIndex { !SemanticVersion.newestFirst($0.version, version.version) } ?? versions.endIndex
        versions.insert(version, at: position)
    }

    /// Returns false when the version was not there.
    mutating func remove(version: String) -> Bool {
        guard let position = versions.firstIndex(where: { $0.entry.version == version }) else { return false }
        versions.remove(at: position)
        return true
    }

    /// The chart's part of `entries`: `  name:\n  - ...` in YAML, `"name":[{...},...]` in JSON.
    func render(_ format: RepositoryIndex.Format) -> [UInt8] {
        var out: [UInt8] = []
        switch format {
        case .yaml:
            IndexWriter.appendYAMLFragment(name: name, versions: versions.map(\.bytes), to: &out)
        case .json:
            out.reserveCapacity(versions.reduce(name.utf8.count + 8) { $0 + $1.bytes.count + 1 })
            out.append(contentsOf: IndexJSON.encode(name))
            out.append(contentsOf: IndexJSON.nameSeparator)
            out.append(UInt8(ascii: "["))
            for (index, version) in versions.enumerated() {
                if index > 0 { out.append(contentsOf: IndexJSON.entrySeparator) }
                out.append(contentsOf: version.bytes)
            }
            out.append(UInt8(ascii: "]"))
        }
        return out
    }
}
