import ChartModel

/// A repository's index kept rendered: each version's YAML and JSON are written once, each chart
/// name's fragment is the concatenation of its versions (newest first), and the document is the
/// concatenation of fragments. A change re-renders only the fragment of the chart it touches.
public struct RepositoryIndex: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case yaml
        case json
    }

    struct RenderedVersion: Sendable {
        let entry: IndexEntry
        let version: SemanticVersion
        let yaml: [UInt8]
        let json: [UInt8]

        init(entry: IndexEntry) {
            self.entry = entry
            // Entries come from validated metadata; an unparsable version sorts as 0.0.0.
            self.version = SemanticVersion(entry.version) ?? SemanticVersion("0.0.0")!
            let value = IndexValue(entry: entry)
            var yaml: [UInt8] = []
            IndexWriter.appendYAMLListItem(value, indent: 2, to: &yaml)
            self.yaml = yaml
            var json: [UInt8] = []
            IndexWriter.appendJSON(value, to: &json)
            self.json = json
        }
    }

    struct Fragment: Sendable {
        var versions: [RenderedVersion]
        var yaml: [UInt8] = []
        var json: [UInt8] = []
    }

    private var fragments: [String: Fragment] = [:]
    /// How many chart fragments have been rendered since creation: tests use it to prove that one
    /// change touches one fragment.
    public private(set) var fragmentRenderCount = 0

    public init(entries: [IndexEntry] = []) {
        var byName: [String: [RenderedVersion]] = [:]
        for entry in entries {
            byName[entry.name, default: []].append(RenderedVersion(entry: entry))
        }
        for (name, versions) in byName {
            var fragment = Fragment(versions: versions)
            render(&fragment, name: name)
            fragments[name] = fragment
        }
    }

    public var chartNames: [String] { fragments.keys.sorted() }
    public var versionCount: Int { fragments.values.reduce(0) { $0 + $1.versions.count } }

    /// Entries of one chart, newest first.
    public func entries(named name: String) -> [IndexEntry] {
        fragments[name]?.versions.map(\.entry) ?? []
    }

    /// Adds a version, replacing one with the same version text.
    public mutating func insert(_ entry: IndexEntry) {
        var fragment = fragments[entry.name] ?? Fragment(versions: [])
        fragment.versions.removeAll { $0.entry.version == entry.version }
        fragment.versions.append(RenderedVersion(entry: entry))
        render(&fragment, name: entry.name)
        fragments[entry.name] = fragment
    }

    /// Removes a version; returns false when it was not there.
    @discardableResult
    public mutating func remove(name: String, version: String) -> Bool {
        guard var fragment = fragments[name], fragment.versions.contains(where: { $0.entry.version == version }) else {
            return false
        }
        fragment.versions.removeAll { $0.entry.version == version }
        if fragment.versions.isEmpty {
            fragments[name] = nil
        } else {
            render(&fragment, name: name)
            fragments[name] = fragment
        }
        return true
    }

    /// The whole document. `generated` is passed in so that an unchanged index renders to the
    /// same bytes (and the same ETag).
    public func document(format: Format, generated: String) -> [UInt8] {
        let names = fragments.keys.sorted()
        var out: [UInt8] = []
        switch format {
        case .yaml:
            out.reserveCapacity(fragments.values.reduce(64) { $0 + $1.yaml.count })
            out.append(contentsOf: "apiVersion: v1\n".utf8)
            if names.isEmpty {
                out.append(contentsOf: "entries: {}\n".utf8)
            } else {
                out.append(contentsOf: "entries:\n".utf8)
                for name in names { out.append(contentsOf: fragments[name]!.yaml) }
            }
            out.append(contentsOf: "generated: ".utf8)
            IndexWriter.appendQuoted(generated, to: &out)
            out.append(UInt8(ascii: "\n"))
        case .json:
            out.reserveCapacity(fragments.values.reduce(64) { $0 + $1.json.count })
            out.append(contentsOf: "{\"apiVersion\":\"v1\",\"entries\":{".utf8)
            for (index, name) in names.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: fragments[name]!.json)
            }
            out.append(contentsOf: "},\"generated\":".utf8)
            IndexWriter.appendQuoted(generated, to: &out)
            out.append(contentsOf: "}\n".utf8)
        }
        return out
    }

    private mutating func render(_ fragment: inout Fragment, name: String) {
        fragmentRenderCount += 1
        fragment.versions.sort { SemanticVersion.newestFirst($0.version, $1.version) }
        var yaml: [UInt8] = []
        yaml.reserveCapacity(fragment.versions.reduce(name.utf8.count + 8) { $0 + $1.yaml.count })
        yaml.append(contentsOf: "  ".utf8)
        IndexWriter.appendKey(name, to: &yaml)
        yaml.append(UInt8(ascii: "\n"))
        var json: [UInt8] = []
        json.reserveCapacity(fragment.versions.reduce(name.utf8.count + 8) { $0 + $1.json.count + 1 })
        IndexWriter.appendQuoted(name, to: &json)
        json.append(contentsOf: ":[".utf8)
        for (index, version) in fragment.versions.enumerated() {
            yaml.append(contentsOf: version.yaml)
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: version.json)
        }
        json.append(UInt8(ascii: "]"))
        fragment.yaml = yaml
        fragment.json = json
    }
}
