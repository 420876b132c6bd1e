import ChartIndex
import ChartModel
import Foundation
import Testing
import UntrustedYAML
import Yams

@Suite struct RepositoryIndexTests {
    static func entry(_ name: String, _ version: String, description: String? = nil,
                      annotations: [String: String]? = nil) -> IndexEntry {
        var metadata = ChartMetadata(name: name, version: version)
        metadata.description = description
        metadata.annotations = annotations
        return IndexEntry(metadata: metadata, digest: String(repeating: "a", count: 64),
                          created: "2026-11-22T10:00:00.123456Z",
                          urls: [IndexEntry.chartURL(name: name, version: version, baseURL: nil)])
    }

    /// Parses both renderings and checks they carry the same document.
    static func parsed(_ index: RepositoryIndex) throws -> [String: Any] {
        let yaml = String(decoding: index.document(format: .yaml, generated: "2026-11-22T10:00:00.000000Z"), as: UTF8.self)
        let json = index.document(format: .json, generated: "2026-11-22T10:00:00.000000Z")
        let fromYAML = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        let fromJSON = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        // Helm 3.13+ reads a JSON body with a JSON reader (`json.Valid`, then `encoding/json`). The JSON
        // form comes from `JSONEncoder`, which leaves characters like U+2028 raw: older Helm, which
        // reads it as YAML, needs the YAML form (README).
        #expect(NSDictionary(dictionary: fromYAML).isEqual(to: fromJSON), "YAML and JSON renderings differ")
        return fromYAML
    }

    @Test func emptyIndex() throws {
        let document = try Self.parsed(RepositoryIndex())
        #expect(document["apiVersion"] as? String == "v1")
        #expect((document["entries"] as? [String: Any])?.isEmpty == true)
    }

    @Test func versionsNewestFirstAndFieldsAsHelmNamesThem() throws {
        let index = RepositoryIndex(entries: ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "1.2.0+build.1"].map { Self.entry("demo", $0) })
        let document = try Self.parsed(index)
        let versions = try #require((document["entries"] as? [String: Any])?["demo"] as? [[String: Any]])
        #expect(versions.map { $0["version"] as? String } == ["2.0.0-rc.1", "1.10.0", "1.2.0+build.1", "1.2.0", "1.0.0"])
        #expect(Set(versions[0].keys) == ["apiVersion", "created", "digest", "name", "urls", "version"])
        #expect(versions[0]["urls"] as? [String] == ["charts/demo-2.0.0-rc.1.tgz"])
    }

    @Test func everyHelmFieldIsWritten() throws {
        var metadata = ChartMetadata(name: "full", version: "1.0.0")
        metadata.home = "h"; metadata.sources = ["s"]; metadata.description = "d"; metadata.keywords = ["k"]
        metadata.maintainers = [.init(name: "n", email: "e", url: "u")]; metadata.icon = "i"
        metadata.condition = "c"; metadata.tags = "t"; metadata.appVersion = "1.0"; metadata.deprecated = true
        metadata.annotations = ["a": "b"]; metadata.kubeVersion = ">=1"; metadata.type = "application"
        var dependency = ChartMetadata.Dependency(name: "dep", version: "1.x", repository: "r")
        dependency.condition = "dc"; dependency.tags = ["dt"]; dependency.enabled = true
        dependency.importValues = [.key("k"), .mapping(child: "c", parent: "p")]; dependency.alias = "al"
        metadata.dependencies = [dependency]
        let entry = IndexEntry(metadata: metadata, digest: "d1", created: "c1", urls: ["u1"])
        let document = try Self.parsed(RepositoryIndex(entries: [entry]))
        let version = try #require(((document["entries"] as? [String: Any])?["full"] as? [[String: Any]])?.first)
        #expect(Set(version.keys) == ["annotations", "apiVersion", "appVersion", "condition", "created", "dependencies",
                                      "deprecated", "description", "digest", "home", "icon", "keywords", "kubeVersion",
                                      "maintainers", "name", "sources", "tags", "type", "urls", "version"])
        #expect(version["appVersion"] as? String == "1.0", "a version-like string stays a string")
        #expect(version["deprecated"] as? Bool == true)
        let renderedDependency = try #require((version["dependencies"] as? [[String: Any]])?.first)
        #expect(Set(renderedDependency.keys) == ["alias", "condition", "enabled", "import-values", "name", "repository", "tags", "version"])
    }

    @Test func hostileStringsCannotBreakTheStructure() throws {
        let nasty = "line1\nline2: \"quoted\" \\ back\t tab \u{2028} sep \u{7} bell # not a comment\n- not: a list"
        let keys = ["true", "null", "1.0", "- dash", "a: b", "#hash", "ü"]
        let annotations = Dictionary(uniqueKeysWithValues: keys.map { ($0, nasty) })
        let index = RepositoryIndex(entries: [Self.entry("true", "1.0.0", description: nasty, annotations: annotations),
                                              Self.entry("1.0", "1.0.0", description: "null")])
        let document = try Self.parsed(index)
        let entries = try #require(document["entries"] as? [String: Any])
        #expect(Set(entries.keys) == ["true", "1.0"])
        let version = try #require((entries["true"] as? [[String: Any]])?.first)
        #expect(version["description"] as? String == nasty)
        #expect(version["annotations"] as? [String: String] == annotations)
        #expect(((entries["1.0"] as? [[String: Any]])?.first?["description"]) as? String == "null")
    }

    /// Every code point a description can hold renders into an index that a strict YAML reader
    /// (libyaml, which like Go's refuses non-printable characters anywhere in the stream) and a
    /// JSON reader both read back unchanged: the whole BMP and both ends of every other plane.
    @Test func everyCodePointSurvivesTheIndex() throws {
        var ranges: [ClosedRange<UInt32>] = [0x0...0xd7ff, 0xe000...0xffff]
        for plane: UInt32 in 1...16 {
            ranges.append((plane << 16)...((plane << 16) + 0xff))
            ranges.append(((plane << 16) + 0xff00)...((plane << 16) + 0xffff))
        }
        for range in ranges {
            let text = String(String.UnicodeScalarView(range.compactMap(Unicode.Scalar.init)))
            let index = RepositoryIndex(entries: [Self.entry("odd", "1.0.0", description: text, annotations: ["k": text])])
            let yaml = index.document(format: .yaml, generated: "2026-11-22T10:00:00.000000Z")
            for scalar in String(decoding: yaml, as: UTF8.self).unicodeScalars {
                #expect(YAMLPrintable.allowsRaw(scalar) && ![0x85, 0x2028, 0x2029].contains(scalar.value),
                        "U+\(String(scalar.value, radix: 16)) is written raw")
            }
            let document = try Self.parsed(index)
            let version = try #require(((document["entries"] as? [String: Any])?["odd"] as? [[String: Any]])?.first)
            #expect((version["description"] as? String).map { Array($0.unicodeScalars) } == Array(text.unicodeScalars),
                    "range \(String(range.lowerBound, radix: 16))")
            #expect(((version["annotations"] as? [String: String])?["k"]).map { Array($0.unicodeScalars) } == Array(text.unicodeScalars))
        }
    }

    /// index.yaml writes annotation keys as implicit keys, which YAML readers (Go's and libyaml)
    /// give up on past 1,024 characters: the longest key ChartMetadata accepts, even made of
    /// characters that need escaping, stays under it.
    @Test func theLongestAcceptedAnnotationKeyStillParses() throws {
        let longest = String(repeating: "\"", count: ChartMetadata.maxAnnotationKeyLength)
        // Accepted at upload: 500 `"` in a single-quoted key.
        let uploaded = try ChartMetadata.parse(chartYAML: "apiVersion: v2\nname: k\nversion: 1.0.0\nannotations:\n  '\(longest)': v\n")
        #expect(uploaded.annotations == [longest: "v"])
        let entry = IndexEntry(metadata: uploaded, digest: String(repeating: "a", count: 64), created: "2026-11-22T10:00:00.123456Z",
                               urls: [IndexEntry.chartURL(name: "k", version: "1.0.0", baseURL: nil)])
        let document = try Self.parsed(RepositoryIndex(entries: [entry]))
        let version = try #require(((document["entries"] as? [String: Any])?["k"] as? [[String: Any]])?.first)
        #expect((version["annotations"] as? [String: String])?[longest] == "v")
        // The rendered key (1,002 characters once escaped and quoted) also composes in the strict reader.
        let rendered = String(decoding: RepositoryIndex(entries: [entry]).document(format: .yaml, generated: "2026-11-22T10:00:00.000000Z"), as: UTF8.self)
        #expect(rendered.contains("\"" + String(repeating: "\\\"", count: 500) + "\":"))
        #expect(try UntrustedYAML.compose(rendered)?["entries"]?["k"]?[0]?["annotations"]?[longest]?.string == "v")
        let tooLong = String(repeating: "a", count: 1_100)
        let yaml = RepositoryIndex(entries: [Self.entry("k", "1.0.0", annotations: [tooLong: "v"])])
            .document(format: .yaml, generated: "2026-11-22T10:00:00.000000Z")
        #expect(throws: (any Error).self, "the limit this guards against") {
            try Yams.load(yaml: String(decoding: yaml, as: UTF8.self))
        }
    }

    @Test func oneChangeRendersOneFragment() {
        var entries: [IndexEntry] = []
        for chart in 0..<100 {
            for patch in 0..<100 { entries.append(Self.entry("chart\(chart)", "1.0.\(patch)")) }
        }
        var index = RepositoryIndex(entries: entries)
        #expect(index.versionCount == 10_000)
        #expect(index.fragmentRenderCount == 100)
        let before = index.document(format: .yaml, generated: "g")

        index.insert(Self.entry("chart42", "2.0.0"))
        #expect(index.fragmentRenderCount == 101)
        #expect(index.entries(named: "chart42").first?.version == "2.0.0")
        let after = index.document(format: .yaml, generated: "g")
        #expect(after.count > before.count)

        let removed = index.remove(name: "chart42", version: "2.0.0")
        #expect(removed)
        #expect(index.fragmentRenderCount == 102)
        #expect(index.document(format: .yaml, generated: "g") == before)
        let removedMissing = index.remove(name: "chart42", version: "9.9.9")
        #expect(!removedMissing)
        #expect(index.fragmentRenderCount == 102)
    }

    @Test func replacingAVersionKeepsOneEntry() {
        var index = RepositoryIndex(entries: [Self.entry("demo", "1.0.0", description: "old")])
        index.insert(Self.entry("demo", "1.0.0", description: "new"))
        #expect(index.entries(named: "demo").map(\.metadata.description) == ["new"])
        index.remove(name: "demo", version: "1.0.0")
        #expect(index.chartNames.isEmpty)
    }

    @Test func absoluteURLsUnderAPublicBase() {
        #expect(IndexEntry.chartURL(name: "a", version: "1.0.0", baseURL: "https://charts.example.com/stable")
                == "https://charts.example.com/stable/charts/a-1.0.0.tgz")
        #expect(IndexEntry.chartURL(name: "a", version: "1.0.0", baseURL: "https://charts.example.com/")
                == "https://charts.example.com/charts/a-1.0.0.tgz")
    }

    @Test func relativePathsAsIsOrUnderABase() {
        #expect(IndexEntry.url(relativePath: "sub/a-1.0.0.tgz", baseURL: nil) == "sub/a-1.0.0.tgz")
        #expect(IndexEntry.url(relativePath: "a-1.0.0.tgz", baseURL: "") == "a-1.0.0.tgz")
        #expect(IndexEntry.url(relativePath: "sub/a-1.0.0.tgz", baseURL: "https://example.com/r/")
                == "https://example.com/r/sub/a-1.0.0.tgz")
    }

    @Test func timestamps() {
        #expect(IndexTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(IndexTimestamp.format(Date(timeIntervalSince1970: 1_795_000_000.25)) == "2026-11-18T11:06:40.250000Z")
    }
}
