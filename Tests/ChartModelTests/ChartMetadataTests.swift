import ChartModel
import Testing

@Suite struct ChartMetadataTests {
    @Test func parsesEveryField() throws {
        let metadata = try ChartMetadata.parse(chartYAML: """
            apiVersion: v2
            name: full
            version: 1.0.0
            home: https://example.com
            sources: [https://git.example.com/full]
            description: Everything
            keywords: [a, b]
            maintainers:
              - name: Ann
                email: ann@example.com
                url: https://ann.example.com
            icon: https://example.com/icon.png
            condition: full.enabled
            tags: frontend
            appVersion: 1.16
            deprecated: true
            annotations:
              enabled: true
              count: 3
            kubeVersion: ">=1.25.0"
            type: application
            dependencies:
              - name: db
                version: ~1.2.0
                repository: https://charts.example.com
                condition: db.enabled
                tags: [storage]
                enabled: true
                import-values: [data, {child: a, parent: b}]
                alias: database
            unknownField: ignored like Helm ignores it
            """)
        #expect(metadata.appVersion == "1.16", "an unquoted number Helm writes back with the same text is accepted")
        #expect(metadata.annotations == ["enabled": "true", "count": "3"])
        #expect(metadata.maintainers == [.init(name: "Ann", email: "ann@example.com", url: "https://ann.example.com")])
        #expect(metadata.deprecated == true)
        let dependency = try #require(metadata.dependencies?.first)
        #expect(dependency.alias == "database")
        #expect(dependency.enabled == true)
        #expect(dependency.importValues == [.key("data"), .mapping(child: "a", parent: "b")])
        #expect(metadata.tags == "frontend")
        #expect(metadata.condition == "full.enabled")
        #expect(metadata.sources == ["https://git.example.com/full"])
    }

    @Test(arguments: [
        ("name: x\nversion: 1.0.0\n", ChartMetadataError.Code.missingField),
        ("apiVersion: v2\nversion: 1.0.0\n", .missingField),
        ("apiVersion: v2\nname: x\n", .missingField),
        ("apiVersion: v2\nname: \"\"\nversion: 1.0.0\n", .missingField),
        ("apiVersion: v3\nname: x\nversion: 1.0.0\n", .unsupportedAPIVersion),
        ("apiVersion: v2\nname: ../x\nversion: 1.0.0\n", .invalidName),
        ("apiVersion: v2\nname: a/b\nversion: 1.0.0\n", .invalidName),
        ("apiVersion: v2\nname: -x\nversion: 1.0.0\n", .invalidName),
        ("apiVersion: v2\nname: x\nversion: \"1.0\"\n", .invalidVersion),  // unquoted, Helm would read 1.0 as "1"
        ("apiVersion: v2\nname: x\nversion: 1.0.0\ntype: operator\n", .invalidType),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies: [{name: a}, {name: a}]\n", .invalidDependency),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords: {a: b}\n", .invalidYAML),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: [a]\n", .invalidYAML),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: {a: [b]}\n", .invalidYAML),
        ("apiVersion: v2\nname: [x\n", .invalidYAML),
        ("just text", .invalidYAML),
        // Untrusted YAML: no anchors, aliases, non-scalar or duplicate keys, merge keys, tags.
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords: [&a k, *a]\n", .invalidYAML),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\n? [x]\n: y\n", .invalidYAML),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nname: y\n", .invalidYAML),
        ("<<: {apiVersion: v2, name: x}\nversion: 1.0.0\n", .invalidYAML),
        ("apiVersion: v2\nname: !!str x\nversion: 1.0.0\n", .invalidYAML),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: {\"\(String(repeating: "k", count: 501))\": v}\n", .invalidAnnotation),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: {\"a\\nb\": v}\n", .invalidAnnotation),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nannotations: {\"a\\uFFFFb\": v}\n", .invalidAnnotation),
    ])
    func refuses(yaml: String, code: ChartMetadataError.Code) {
        let error = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: yaml) }
        #expect(error?.code == code, "\(yaml): \(error?.message ?? "")")
    }

    /// An anchored 100 KB keyword repeated 20,000 times (240 KB of text, under the size cap) would
    /// be 2 GB once expanded; the anchor alone is refused, so nothing is expanded.
    @Test func keywordAliasBombIsRefusedBeforeExpansion() {
        let big = String(repeating: "x", count: 100_000)
        let yaml = "apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords:\n  - &k \(big)\n"
            + String(repeating: "  - *k\n", count: 20_000)
        let error = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: yaml) }
        #expect(error?.code == .invalidYAML)
        #expect(error?.message.contains("anchors are not allowed (at keywords[0], line 5)") == true, "\(error?.message ?? "")")
    }

    @Test func annotationKeysUpToTheLimitAreAccepted() throws {
        let key = "example.com/" + String(repeating: "k", count: ChartMetadata.maxAnnotationKeyLength - 12)
        let metadata = try ChartMetadata.parse(chartYAML: "apiVersion: v2\nname: x\nversion: 1.0.0\nannotations:\n  \(key): \"a\\uFFFFb\"\n")
        #expect(metadata.annotations?[key] == "a\u{FFFF}b", "odd values are kept; the index escapes them")
    }

    /// Mutations of a full Chart.yaml (bytes replaced by YAML's structural characters) either
    /// parse or throw ChartMetadataError: none reaches a trap in the composer or the decoder.
    @Test func mutatedChartYAMLNeverCrashes() {
        let seed = Array("""
            apiVersion: v2
            name: web
            version: 1.0.0
            keywords: [a, "b"]
            maintainers:
              - {name: Ann, email: a@example.com}
            annotations:
              x: y
            dependencies:
              - name: db
                import-values: [data, {child: a, parent: b}]
            """.utf8)
        let alphabet = Array("?:-[]{},&*!|>'\"#%@ \n\t<x1".utf8)
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> Int {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        var parsed = 0
        for _ in 0..<3_000 {
            var bytes = seed
            for _ in 0...(next() % 4) {
                bytes[next() % bytes.count] = alphabet[next() % alphabet.count]
            }
            if (try? ChartMetadata.parse(chartYAML: String(decoding: bytes, as: UTF8.self))) != nil { parsed += 1 }
        }
        #expect(parsed > 0, "some mutations still parse, so the decoder was reached")
    }

    @Test func names() {
        for name in ["nginx", "ingress-nginx", "a", "a.b_c-d", "Chart1"] { #expect(ChartMetadata.isValidName(name), "\(name)") }
        for name in ["", ".", "..", "-a", "_a", ".a", "a b", "a+b", "a/b", "ä", String(repeating: "a", count: 251)] {
            #expect(!ChartMetadata.isValidName(name), "\(name)")
        }
    }
}
