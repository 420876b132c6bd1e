import ChartIndex
import ChartModel
import Foundation
import Testing
import Yams

@Suite struct FragmentIndexTests {
    static let generated = "2026-11-23T10:00:00.000000Z"

    static func generation(_ instance: UInt64 = 0xc0ffee) -> IndexGeneration {
        IndexGeneration(repository: "stable", instance: instance)
    }

    static func document(_ entries: [IndexEntry], _ format: RepositoryIndex.Format) -> [UInt8] {
        FragmentIndex(entries: entries, format: format, generation: generation()).served(generated: generated).joined()
    }

    static func golden(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/golden-\(name).yaml")
        return Array(try Data(contentsOf: url))
    }

    /// The golden files were rendered by `RepositoryIndex` before fragments and the encoder
    /// existed: the YAML form is byte for byte what the server wrote until now.
    @Test(arguments: [(0, "empty"), (1, "one"), (100, "many")])
    func yamlIsByteForByteTheIndexWrittenBefore(count: Int, name: String) throws {
        let entries = IndexFixtures.entries(count: count)
        let golden = try Self.golden(name)
        #expect(Self.document(entries, .yaml) == golden)
        #expect(RepositoryIndex(entries: entries).document(format: .yaml, generated: Self.generated) == golden)
    }

    /// The JSON chain joins encoder outputs; it must equal `JSONEncoder` encoding the whole document.
    @Test(arguments: [0, 1, 100])
    func jsonIsWhatTheEncoderWritesForTheWholeDocument(count: Int) throws {
        let entries = IndexFixtures.entries(count: count)
        let json = Self.document(entries, .json)
        #expect(json == RepositoryIndex(entries: entries).document(format: .json, generated: Self.generated))
        let fromJSON = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let yaml = String(decoding: Self.document(entries, .yaml), as: UTF8.self)
        let fromYAML = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        #expect(NSDictionary(dictionary: fromYAML).isEqual(to: fromJSON), "YAML and JSON forms carry different documents")
    }

    /// Acceptance: after 1,000 random publishes, deletes, quarantines and restores, each form is byte
    /// for byte the index rendered from scratch from the surviving entries, and every change
    /// rendered exactly one fragment and made exactly one new generation.
    @Test(arguments: RepositoryIndex.Format.allCases)
    func thousandMixedChangesRenderLikeFromScratch(format: RepositoryIndex.Format) {
        var random = SplitMix64(seed: format == .yaml ? 13 : 31)
        var active: [String: IndexEntry] = [:]
        var quarantined: [String: IndexEntry] = [:]
        func key(_ entry: IndexEntry) -> String { entry.name + "@" + entry.version }
        for entry in IndexFixtures.entries(count: 400) { active[key(entry)] = entry }
        var index = FragmentIndex(entries: Array(active.values), format: format, generation: Self.generation())
        let rendersAtStart = index.fragmentRenderCount
        var changes: UInt64 = 0
        var chartsEmptied = 0
        var counts = [String: Int]()
        for step in 0..<1_000 {
            switch random.next() % 4 {
            case 0: // publish: a new version, or a re-upload replacing one
                let chart = Int(random.next() % 60)
                let version = "\(random.next() % 4).\(random.next() % 5).\(random.next() % 3)" + (random.next() % 5 == 0 ? "-rc.\(step % 3)" : "")
                let entry = IndexFixtures.entry(chart: chart, version: version, variant: step)
                if quarantined[key(entry)] != nil { continue }
                active[key(entry)] = entry
                index.publish(entry)
                counts["publish", default: 0] += 1
            case 1: // delete
                guard let victim = active.keys.sorted().randomElement(using: &random) else { continue }
                let entry = active.removeValue(forKey: victim)!
                if index.versions(named: entry.name).count == 1 { chartsEmptied += 1 }
                let removed = index.remove(name: entry.name, version: entry.version)
                #expect(removed)
                counts["delete", default: 0] += 1
            case 2: // quarantine: out of the index, kept for a restore
                guard let victim = active.keys.sorted().randomElement(using: &random) else { continue }
                let entry = active.removeValue(forKey: victim)!
                quarantined[victim] = entry
                if index.versions(named: entry.name).count == 1 { chartsEmptied += 1 }
                let removed = index.remove(name: entry.name, version: entry.version)
                #expect(removed)
                counts["quarantine", default: 0] += 1
            default: // restore
                guard let back = quarantined.keys.sorted().randomElement(using: &random) else { continue }
                let entry = quarantined.removeValue(forKey: back)!
                active[back] = entry
                index.publish(entry)
                counts["restore", default: 0] += 1
            }
            changes += 1
        }
        #expect(counts.count == 4 && counts.values.allSatisfy { $0 > 100 }, "every kind of change ran: \(counts)")
        #expect(index.generation.counter == changes)
        #expect(index.fragmentRenderCount - rendersAtStart + chartsEmptied == Int(changes),
                "one fragment rendered per change (none when a chart's last version goes)")
        let removedMissing = index.remove(name: "chart-1", version: "99.0.0")
        #expect(!removedMissing)
        #expect(index.generation.counter == changes, "a no-op is not a new generation")

        let incremental = index.served(generated: Self.generated).joined()
        let survivors = Array(active.values).shuffled(using: &random)
        #expect(incremental == Self.document(survivors, format))
        #expect(incremental == RepositoryIndex(entries: survivors).document(format: format, generated: Self.generated))
        #expect(index.versionCount == active.count)
    }

    @Test func concurrentChunksKeepTheOrder() {
        let values = Array(0..<10_001)
        #expect(values.concurrentMapChunks(chunkSize: 97) { chunk in chunk.map { $0 * 2 } } == values.map { $0 * 2 })
        #expect([Int]().concurrentMapChunks { chunk in chunk.map { $0 } }.isEmpty)
    }

    @Test func etagComesFromTheGeneration() {
        let entries = IndexFixtures.entries(count: 20)
        var index = FragmentIndex(entries: entries, format: .yaml, generation: Self.generation())
        let first = index.served(generated: Self.generated)
        #expect(first.etag == "\"stable-0000000000c0ffee-0-yaml\"")
        #expect(first.gzipETag == "\"stable-0000000000c0ffee-0-yaml-gzip\"")
        #expect(index.served(generated: "another time").etag == first.etag, "the same generation, the same tag")
        let restarted = FragmentIndex(entries: entries, format: .yaml, generation: Self.generation(0xbeef))
        #expect(restarted.served(generated: Self.generated).etag != first.etag, "a restart never reuses a tag")
        index.publish(IndexFixtures.entry(chart: 1, version: "9.0.0"))
        #expect(index.served(generated: Self.generated).etag == "\"stable-0000000000c0ffee-1-yaml\"")
        let json = FragmentIndex(entries: entries, format: .json, generation: Self.generation())
        #expect(json.served(generated: Self.generated).etag != first.etag)
        #expect(json.served(generated: Self.generated).contentType == "application/json")
        #expect(IndexGeneration(repository: "a\"b c/\u{e9}", instance: 1).etag(format: .yaml, gzip: false)
                == "\"abc-0000000000000001-0-yaml\"", "nothing from the name can break the quoted tag")
    }

    @Test func theDocumentIsAChainOfTheChartsFragments() {
        var index = FragmentIndex(entries: IndexFixtures.entries(count: 80), format: .yaml, generation: Self.generation())
        let before = index.served(generated: Self.generated)
        #expect(before.chunks.count == index.chartNames.count + 2, "header, one per chart, generated")
        #expect(before.contentLength == before.joined().count)
        index.publish(IndexFixtures.entry(chart: 2, version: "7.0.0"))
        let after = index.served(generated: Self.generated)
        // Every other chart's buffer is the very same storage as before the change.
        let changed = zip(before.chunks, after.chunks).filter { old, new in
            old.withUnsafeReadableBytes { a in new.withUnsafeReadableBytes { b in a.baseAddress != b.baseAddress } }
        }
        #expect(changed.count == 2, "the chart's fragment and the generated line")
        let json = FragmentIndex(entries: IndexFixtures.entries(count: 80), format: .json, generation: Self.generation())
        #expect(json.served(generated: Self.generated).chunks.count == json.chartNames.count + 2)
    }

    @Test func gzipIsBuiltOnFirstRequestOncePerGeneration() throws {
        var index = FragmentIndex(entries: IndexFixtures.entries(count: 200), format: .yaml, generation: Self.generation())
        let served = index.served(generated: Self.generated)
        #expect(!served.isGzipBuilt, "not built until asked for")
        let gzip = served.gzipped()
        #expect(served.isGzipBuilt)
        #expect(Array(gzip.readableBytesView.prefix(2)) == [0x1f, 0x8b])
        #expect(gzip.readableBytes < served.contentLength / 5)
        let again = served.gzipped()
        #expect(gzip.withUnsafeReadableBytes { a in again.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress } },
                "cached, not compressed again")
        index.publish(IndexFixtures.entry(chart: 2, version: "7.0.0"))
        #expect(!index.served(generated: Self.generated).isGzipBuilt, "a new generation starts without one")
    }

    /// Helm 3.13+ reads a JSON index with `encoding/json` into `repo.IndexFile`: every key written
    /// must be one of its Go struct's JSON names, with the JSON type it declares.
    @Test func jsonUsesHelmsFieldNamesAndTypes() throws {
        let json = Self.document(IndexFixtures.entries(count: 100), .json)
        let decoded = try JSONDecoder().decode(HelmIndexFile.self, from: Data(json))
        #expect(decoded.apiVersion == "v1")
        #expect(decoded.generated == Self.generated)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(Set(object.keys) == ["apiVersion", "entries", "generated"])
        var seen = Set<String>()
        for (name, versions) in try #require(object["entries"] as? [String: [[String: Any]]]) {
            #expect(decoded.entries[name]?.count == versions.count)
            for version in versions {
                seen.formUnion(version.keys)
                #expect(Set(version.keys).isSubset(of: HelmIndexFile.chartVersionKeys), "\(version.keys)")
                for dependency in version["dependencies"] as? [[String: Any]] ?? [] {
                    #expect(Set(dependency.keys).isSubset(of: HelmIndexFile.dependencyKeys))
                }
            }
        }
        #expect(seen == HelmIndexFile.chartVersionKeys.subtracting(["removed"]), "the fixtures reach every field")
        let hostile = decoded.entries.values.flatMap { $0 }.compactMap(\.description).filter { $0 == IndexFixtures.hostile }
        #expect(!hostile.isEmpty, "escaped text decodes unchanged")
    }
}

/// Helm's `repo.IndexFile`/`ChartVersion`/`chart.Metadata`/`chart.Dependency` JSON names and types
/// (helm pkg/repo/index.go, pkg/chart/metadata.go, pkg/chart/dependency.go).
struct HelmIndexFile: Decodable {
    static let chartVersionKeys: Set<String> = [
        "name", "home", "sources", "version", "description", "keywords", "maintainers", "icon", "apiVersion",
        "condition", "tags", "appVersion", "deprecated", "annotations", "kubeVersion", "dependencies", "type",
        "urls", "created", "removed", "digest",
    ]
    static let dependencyKeys: Set<String> = ["name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias"]

    struct Maintainer: Decodable { let name: String?; let email: String?; let url: String? }
    struct Dependency: Decodable {
        let name: String; let version: String?; let repository: String?; let condition: String?
        let tags: [String]?; let enabled: Bool?; let alias: String?
    }
    struct ChartVersion: Decodable {
        let name: String; let home: String?; let sources: [String]?; let version: String; let description: String?
        let keywords: [String]?; let maintainers: [Maintainer]?; let icon: String?; let apiVersion: String?
        let condition: String?; let tags: String?; let appVersion: String?; let deprecated: Bool?
        let annotations: [String: String]?; let kubeVersion: String?; let dependencies: [Dependency]?; let type: String?
        let urls: [String]; let created: String?; let removed: Bool?; let digest: String?
    }
    let apiVersion: String
    let generated: String
    let entries: [String: [ChartVersion]]
}

/// A seeded generator, so a failing sequence of changes replays.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce5_e4b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
