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
            appVersion: 1.10
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
        #expect(metadata.appVersion == "1.10", "numbers in string fields keep their text, as in Helm")
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
        ("apiVersion: v2\nname: x\nversion: 1.0\n", .invalidVersion),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\ntype: operator\n", .invalidType),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies: [{name: a}, {name: a}]\n", .invalidDependency),
        ("apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords: {a: b}\n", .invalidYAML),
        ("apiVersion: v2\nname: [x\n", .invalidYAML),
        ("just text", .invalidYAML),
    ])
    func refuses(yaml: String, code: ChartMetadataError.Code) {
        let error = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: yaml) }
        #expect(error?.code == code, "\(yaml): \(error?.message ?? "")")
    }

    @Test func names() {
        for name in ["nginx", "ingress-nginx", "a", "a.b_c-d", "Chart1"] { #expect(ChartMetadata.isValidName(name), "\(name)") }
        for name in ["", ".", "..", "-a", "_a", ".a", "a b", "a+b", "a/b", "ä", String(repeating: "a", count: 251)] {
            #expect(!ChartMetadata.isValidName(name), "\(name)")
        }
    }
}
