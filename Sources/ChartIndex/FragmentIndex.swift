import NIOCore

/// A repository's index kept as rendered per-chart fragments, in one format (`indexFormat`).
///
/// Publishing, deleting, quarantining or restoring one version re-renders only that chart's
/// fragment and bumps the generation; `served(generated:)` hands out the document as a chain of
/// the fragments' buffers (no copy of the other charts' bytes), with an ETag from the generation.
/// The cost of a change depends on the size of that chart, not of the repository.
public struct FragmentIndex: Sendable {
    public let format: RepositoryIndex.Format
    public private(set) var generation: IndexGeneration
    private var charts: [String: ChartFragment] = [:]
    /// Chart names in byte order, the order of both the YAML and the JSON document, and each
    /// one's rendered fragment at the same position: the chain is a copy of `rendered`.
    private var names: [String] = []
    private var rendered: [ByteBuffer] = []
    /// How many chart fragments have been rendered since creation: one per change.
    public private(set) var fragmentRenderCount = 0

    /// Builds every fragment once from `entries` (rendering each version).
    public init(entries: [IndexEntry], format: RepositoryIndex.Format, generation: IndexGeneration) {
        self.init(versions: entries.concurrentMapChunks { chunk in chunk.map { RenderedVersion(entry: $0, format: format) } },
                  format: format, generation: generation)
    }

    /// Builds every fragment once from versions already rendered in `format` (the store's active
    /// versions, loaded in bulk): joining bytes, no rendering.
    public init(versions: [RenderedVersion], format: RepositoryIndex.Format, generation: IndexGeneration) {
        self.format = format
        self.generation = generation
        var byName: [String: [RenderedVersion]] = [:]
        for version in versions { byName[version.name, default: []].append(version) }
        names = byName.keys.sorted(by: Self.precedes)
        let groups = names.map { byName.removeValue(forKey: $0)! }
        // Charts are built on every core, one chart at a time per core: a chart's versions' own
        // buffers are freed as soon as its fragment holds their bytes, so building never holds the
        // whole index twice.
        let built = groups.concurrentMapChunks(chunkSize: Swift.max(1, groups.count / 64)) { chunk in
            chunk.map { versions -> (fragment: ChartFragment, buffer: ByteBuffer) in
                // The last one given for a version text wins, as `publish` would.
                var seen = Set<String>()
                let unique = versions.reversed().filter { seen.insert($0.version).inserted }
                var fragment = ChartFragment(name: versions[0].name, versions: unique.map(ChartFragment.Version.init))
                let buffer = fragment.render(format)
                return (fragment, buffer)
            }
        }
        rendered = built.map(\.buffer)
        for (fragment, _) in built { charts[fragment.name] = fragment }
        fragmentRenderCount = built.count
    }

    public var chartNames: [String] { names }
    public var versionCount: Int { charts.values.reduce(0) { $0 + $1.versions.count } }

    /// Version texts of one chart, newest first.
    public func versions(named name: String) -> [String] {
        charts[name]?.versions.map(\.text) ?? []
    }

    /// The API's JSON object of each version of one chart, newest first.
    public func versionsJSON(named name: String) -> [(version: String, json: ByteBuffer)] {
        charts[name]?.versions.map { ($0.text, $0.json) } ?? []
    }

    /// Adds a version or replaces the one with the same version text: an upload, or a restore
    /// from quarantine.
    public mutating func publish(_ entry: IndexEntry) {
        publish(RenderedVersion(entry: entry, format: format))
    }

    /// `publish` of a version already rendered in this index's format.
    public mutating func publish(_ item: RenderedVersion) {
        let version = ChartFragment.Version(item)
        let name = item.name
        // Taken out of the dictionary while edited, so that its versions change in place, not copied.
        if var fragment = charts.removeValue(forKey: name) {
            fragment.upsert(version)
            let buffer = render(&fragment)
            rendered[position(of: name)] = buffer
            charts[name] = fragment
        } else {
            var fragment = ChartFragment(name: name, versions: [version])
            let position = position(of: name)
            let buffer = render(&fragment)
            names.insert(name, at: position)
            rendered.insert(buffer, at: position)
            charts[name] = fragment
        }
        generation = generation.next()
    }

    /// Takes a version out of the index (a delete or a quarantine); false, and no new generation,
    /// when it was not there.
    @discardableResult
    public mutating func remove(name: String, version: String) -> Bool {
        guard var fragment = charts.removeValue(forKey: name) else { return false }
        guard fragment.remove(version: version) else {
            charts[name] = fragment
            return false
        }
        let position = position(of: name)
        if fragment.isEmpty {
            names.remove(at: position)
            rendered.remove(at: position)
        } else {
            let buffer = render(&fragment)
            rendered[position] = buffer
            charts[name] = fragment
        }
        generation = generation.next()
        return true
    }

    /// The document of the current generation as a chain of buffers. `generated` is the time of the
    /// last change, passed in so that this stays a pure function of the entries.
    public func served(generated: String) -> ServedIndex {
        var chunks: [ByteBuffer] = []
        chunks.reserveCapacity(rendered.count + 2)
        switch format {
        case .yaml:
            chunks.append(rendered.isEmpty ? Self.yamlHeaderEmpty : Self.yamlHeader)
            chunks.append(contentsOf: rendered)
            chunks.append(ByteBuffer(bytes: IndexYAMLFraming.generatedLine(generated)))
        case .json:
            chunks.append(Self.jsonHeader)
            chunks.append(contentsOf: rendered)
            if var first = chunks.dropFirst().first {
                // Every JSON fragment starts with `,`; the first one's is left out (a slice, no copy).
                first.moveReaderIndex(forwardBy: IndexJSON.entrySeparator.count)
                chunks[1] = first
            }
            chunks.append(ByteBuffer(bytes: IndexJSON.trailerBeforeGenerated + IndexJSON.encode(generated) + IndexJSON.trailerEnd))
        }
        return ServedIndex(format: format, generation: generation, chunks: chunks)
    }

    private mutating func render(_ fragment: inout ChartFragment) -> ByteBuffer {
        fragmentRenderCount += 1
        return fragment.render(format)
    }

    /// Byte order of the UTF-8 names: Go's order for map keys, and `JSONEncoder`'s with sorted keys.
    private static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Where `name` is in `names`, or would be inserted.
    private func position(of name: String) -> Int {
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
}
