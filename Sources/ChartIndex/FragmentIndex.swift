import NIOCore

/// A repository's index kept as rendered per-chart fragments, in one format (`indexFormat`).
///
/// Publishing, deleting, quarantining or restoring one version re-renders only that chart's
/// fragment and bumps the generation; `served(generated:)` hands out the document as a chain of
/// the fragments' buffers (no copy of the other charts' bytes), with an ETag from the generation.
/// The cost of a change depends on the size of that chart, not of the repository.
public struct FragmentIndex: Sendable {
    private struct Chart: Sendable {
        var fragment: ChartFragment
        var rendered: ByteBuffer
    }

    public let format: RepositoryIndex.Format
    public private(set) var generation: IndexGeneration
    private var charts: [String: Chart] = [:]
    /// Chart names in byte order, the order of both the YAML and the JSON document.
    private var names: [String] = []
    /// How many chart fragments have been rendered since creation: one per change.
    public private(set) var fragmentRenderCount = 0

    /// Builds every fragment once from `entries` (the store's active versions, loaded in bulk).
    public init(entries: [IndexEntry], format: RepositoryIndex.Format, generation: IndexGeneration) {
        self.format = format
        self.generation = generation
        var byName: [String: [ChartFragment.Version]] = [:]
        for entry in entries {
            byName[entry.name, default: []].append(ChartFragment.Version(entry: entry, format: format))
        }
        for (name, versions) in byName {
            // The last entry given for a version text wins, as `publish` would.
            var seen = Set<String>()
            let unique = versions.reversed().filter { seen.insert($0.entry.version).inserted }
            charts[name] = render(ChartFragment(name: name, versions: unique))
        }
        names = charts.keys.sorted(by: Self.precedes)
    }

    public var chartNames: [String] { names }
    public var versionCount: Int { charts.values.reduce(0) { $0 + $1.fragment.versions.count } }

    /// Entries of one chart, newest first.
    public func entries(named name: String) -> [IndexEntry] {
        charts[name]?.fragment.versions.map(\.entry) ?? []
    }

    /// Adds a version or replaces the one with the same version text: an upload, or a restore
    /// from quarantine.
    public mutating func publish(_ entry: IndexEntry) {
        let version = ChartFragment.Version(entry: entry, format: format)
        if var chart = charts.removeValue(forKey: entry.name) {
            chart.fragment.upsert(version)
            charts[entry.name] = render(chart.fragment)
        } else {
            charts[entry.name] = render(ChartFragment(name: entry.name, versions: [version]))
            names.insert(entry.name, at: insertionPoint(of: entry.name))
        }
        generation = generation.next()
    }

    /// Takes a version out of the index (a delete or a quarantine); false, and no new generation,
    /// when it was not there.
    @discardableResult
    public mutating func remove(name: String, version: String) -> Bool {
        guard var chart = charts[name], chart.fragment.remove(version: version) else { return false }
        if chart.fragment.isEmpty {
            charts[name] = nil
            names.remove(at: insertionPoint(of: name))
        } else {
            charts[name] = nil
            charts[name] = render(chart.fragment)
        }
        generation = generation.next()
        return true
    }

    /// The document of the current generation as a chain of buffers. `generated` is the time of the
    /// last change, passed in so that this stays a pure function of the entries.
    public func served(generated: String) -> ServedIndex {
        var chunks: [ByteBuffer] = []
        switch format {
        case .yaml:
            chunks.reserveCapacity(names.count + 2)
            chunks.append(names.isEmpty ? Self.yamlHeaderEmpty : Self.yamlHeader)
            for name in names { chunks.append(charts[name]!.rendered) }
            chunks.append(ByteBuffer(bytes: IndexYAMLFraming.generatedLine(generated)))
        case .json:
            chunks.reserveCapacity(names.count * 2 + 2)
            chunks.append(Self.jsonHeader)
            for (position, name) in names.enumerated() {
                if position > 0 { chunks.append(Self.jsonSeparator) }
                chunks.append(charts[name]!.rendered)
            }
            chunks.append(ByteBuffer(bytes: IndexJSON.trailerBeforeGenerated + IndexJSON.encode(generated) + IndexJSON.trailerEnd))
        }
        return ServedIndex(format: format, generation: generation, chunks: chunks)
    }

    private mutating func render(_ fragment: ChartFragment) -> Chart {
        fragmentRenderCount += 1
        return Chart(fragment: fragment, rendered: ByteBuffer(bytes: fragment.render(format)))
    }

    /// Byte order of the UTF-8 names: Go's order for map keys, and `JSONEncoder`'s with sorted keys.
    private static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    private func insertionPoint(of name: String) -> Int {
        var low = 0
        var high = names.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(names[middle], name) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static let yamlHeader = ByteBuffer(bytes: IndexYAMLFraming.header(empty: false))
    private static let yamlHeaderEmpty = ByteBuffer(bytes: IndexYAMLFraming.header(empty: true))
    private static let jsonHeader = ByteBuffer(bytes: IndexJSON.header)
    private static let jsonSeparator = ByteBuffer(bytes: IndexJSON.entrySeparator)
}
