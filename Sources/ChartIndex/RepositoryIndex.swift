import ChartModel
import NIOCore

/// A repository's index rendered from its entries in one piece: the reference form (the
/// `chartwarden index` command, and what `FragmentIndex` must equal byte for byte).
///
/// Each version's YAML is written once and each chart name's fragment joins its versions (newest
/// first), so `insert`/`remove` re-render one fragment; `document` then joins every fragment into
/// one array. The JSON form is encoded whole by `JSONEncoder` from the entries.
public struct RepositoryIndex: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case yaml
        case json
    }

    private struct Chart: Sendable {
        var fragment: ChartFragment
        var yaml: ByteBuffer
    }

    private var charts: [String: Chart] = [:]
    /// How many chart fragments have been rendered since creation: tests use it to prove that one
    /// change touches one fragment.
    public private(set) var fragmentRenderCount = 0

    public init(entries: [IndexEntry] = []) {
        var byName: [String: [ChartFragment.Version]] = [:]
        for entry in entries {
            byName[entry.name, default: []].append(ChartFragment.Version(entry: entry, format: .yaml))
        }
        for (name, versions) in byName {
            store(ChartFragment(name: name, versions: versions))
        }
    }

    public var chartNames: [String] { charts.keys.sorted() }
    public var versionCount: Int { charts.values.reduce(0) { $0 + $1.fragment.versions.count } }

    /// Entries of one chart, newest first.
    public func entries(named name: String) -> [IndexEntry] {
        charts[name]?.fragment.versions.map(\.entry) ?? []
    }

    /// Adds a version, replacing one with the same version text.
    public mutating func insert(_ entry: IndexEntry) {
        var fragment = charts[entry.name]?.fragment ?? ChartFragment(name: entry.name)
        fragment.upsert(ChartFragment.Version(entry: entry, format: .yaml))
        store(fragment)
    }

    /// Removes a version; returns false when it was not there.
    @discardableResult
    public mutating func remove(name: String, version: String) -> Bool {
        guard var fragment = charts[name]?.fragment, fragment.remove(version: version) else { return false }
        if fragment.isEmpty {
            charts[name] = nil
        } else {
            store(fragment)
        }
        return true
    }

    /// The whole document. `generated` is passed in so that an unchanged index renders to the
    /// same bytes (and the same ETag).
    public func document(format: Format, generated: String) -> [UInt8] {
        switch format {
        case .yaml:
            let names = charts.keys.sorted()
            var out = IndexYAMLFraming.header(empty: names.isEmpty)
            out.reserveCapacity(charts.values.reduce(64) { $0 + $1.yaml.readableBytes })
            for name in names { out.append(contentsOf: charts[name]!.yaml.readableBytesView) }
            out.append(contentsOf: IndexYAMLFraming.generatedLine(generated))
            return out
        case .json:
            let document = IndexJSON.Document(
                entries: charts.mapValues { $0.fragment.versions.map { IndexValue(entry: $0.entry) } },
                generated: generated)
            return IndexJSON.encode(document) + [UInt8(ascii: "\n")]
        }
    }

    private mutating func store(_ fragment: ChartFragment) {
        fragmentRenderCount += 1
        var fragment = fragment
        let yaml = fragment.render(.yaml)
        charts[fragment.name] = Chart(fragment: fragment, yaml: yaml)
    }
}
