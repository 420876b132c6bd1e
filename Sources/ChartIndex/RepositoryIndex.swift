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
        /// The entries by version text (fragments keep only rendered bytes).
        var entries: [String: IndexEntry]
    }

    private var charts: [String: Chart] = [:]
    /// How many chart fragments have been rendered since creation: tests use it to prove that one
    /// change touches one fragment.
    public private(set) var fragmentRenderCount = 0

    public init(entries: [IndexEntry] = []) {
        var byName: [String: [IndexEntry]] = [:]
        for entry in entries { byName[entry.name, default: []].append(entry) }
        for (name, versions) in byName {
            var byVersion: [String: IndexEntry] = [:]
            for entry in versions { byVersion[entry.version] = entry }
            store(ChartFragment(name: name, versions: byVersion.values.map { ChartFragment.Version(entry: $0, format: .yaml) }),
                  entries: byVersion)
        }
    }

    public var chartNames: [String] { charts.keys.sorted() }
    public var versionCount: Int { charts.values.reduce(0) { $0 + $1.fragment.versions.count } }

    /// Entries of one chart, newest first.
    public func entries(named name: String) -> [IndexEntry] {
        guard let chart = charts[name] else { return [] }
        return chart.fragment.versions.map { chart.entries[$0.text]! }
    }

    /// Adds a version, replacing one with the same version text.
    public mutating func insert(_ entry: IndexEntry) {
        var fragment = charts[entry.name]?.fragment ?? ChartFragment(name: entry.name)
        var entries = charts[entry.name]?.entries ?? [:]
        fragment.upsert(ChartFragment.Version(entry: entry, format: .yaml))
        entries[entry.version] = entry
        store(fragment, entries: entries)
    }

    /// Removes a version; returns false when it was not there.
    @discardableResult
    public mutating func remove(name: String, version: String) -> Bool {
        guard var fragment = charts[name]?.fragment, var entries = charts[name]?.entries,
              fragment.remove(version: version) else { return false }
        entries[version] = nil
        if fragment.isEmpty {
            charts[name] = nil
        } else {
            store(fragment, entries: entries)
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
                entries: charts.mapValues { chart in chart.fragment.versions.map { IndexValue(entry: chart.entries[$0.text]!) } },
                generated: generated)
            return IndexJSON.encode(document) + [UInt8(ascii: "\n")]
        }
    }

    private mutating func store(_ fragment: ChartFragment, entries: [String: IndexEntry]) {
        fragmentRenderCount += 1
        var fragment = fragment
        let yaml = fragment.render(.yaml)
        charts[fragment.name] = Chart(fragment: fragment, yaml: yaml, entries: entries)
    }
}
