@testable import ChartModel
import Testing

/// Chart.yaml that Helm (sigs.k8s.io/yaml → goyaml.v2 → encoding/json) would read differently
/// from us is refused, so the index never shows one chart while `helm install` gets another.
@Suite struct HelmReadingTests {
    static let head = "apiVersion: v2\nname: x\nversion: 1.0.0\n"

    @Test(arguments: [
        ("verſion", "version"), ("VERSION", "version"), ("appversion", "appversion"), ("dependencieſ", "dependencies"),
        ("\u{212A}ubeVersion", "kubeversion"), ("repoſitory", "repository"), ("import-values", "import-values"),
        // İ and ı fold only with themselves in Go (`unicode.SimpleFold`), so they stay apart from i.
        ("İcon", "İcon"), ("ıcon", "ıcon"),
    ])
    func goFolding(key: String, folded: String) {
        #expect(GoFieldNameFold.fold(key) == folded)
    }

    /// What a Go string field receives for an unquoted scalar; nil is null (the field stays empty).
    @Test(arguments: [
        ("1.10", "1.1"), ("1.0", "1"), ("1.", "1"), ("1.16", "1.16"), ("0.1", "0.1"), (".5", "0.5"),
        ("3.14159265", "3.1415927"), ("1e3", "1000"), ("1e6", "1e+06"), ("123456.0", "123456"), ("0.00001", "1e-05"),
        ("0.0001", "0.0001"), ("-2.5e-7", "-2.5e-07"), ("+9223372036854775808", "9.223372e+18"),
        ("yes", "true"), ("y", "true"), ("On", "true"), ("TRUE", "true"), ("no", "false"), ("N", "false"), ("off", "false"),
        ("010", "8"), ("08", "8"), ("0x1f", "31"), ("0o17", "15"), ("0b101", "5"), ("-0b101", "-5"), ("1_000", "1000"),
        ("+1", "1"), ("-0", "0"), ("1", "1"), ("18446744073709551615", "18446744073709551615"),
        (".inf", "+Inf"), ("-.Inf", "-Inf"), (".NaN", "NaN"),
        ("~", nil), ("null", nil), ("NULL", nil),
        // Strings Go keeps as written.
        ("1.2.3", "1.2.3"), ("v1.10", "v1.10"), ("2024-01-02", "2024-01-02"), ("1e400", "1e400"), ("0x", "0x"),
        ("tRUE", "tRUE"), ("yEs", "yEs"), ("~1.2.0", "~1.2.0"), ("._5", "._5"), ("1.0.0-1", "1.0.0-1"), ("nginx", "nginx"),
    ] as [(String, String?)])
    func goReadsAStringField(text: String, helmReads: String?) {
        #expect(GoYAMLPlainScalar.stringFieldValue(text) == helmReads, "\(text)")
    }

    @Test func goMapKeys() {
        #expect(GoYAMLPlainScalar.mapKey("010") == "8")
        #expect(GoYAMLPlainScalar.mapKey("yes") == "true")
        #expect(GoYAMLPlainScalar.mapKey(".inf") == ".inf")
        #expect(GoYAMLPlainScalar.mapKey("~") == nil, "sigs.k8s.io/yaml refuses a null key")
        #expect(GoYAMLPlainScalar.mapKey("example.com/x") == "example.com/x")
    }

    @Test(arguments: [
        // Keys Go matches to a field by case folding: Helm reads them, we would not.
        (head + "verſion: 6.6.6\n", ChartMetadataError.Code.ambiguousKey, "'verſion' is not 'version'"),
        (head + "Dependencies: [{name: evil, repository: https://evil.example}]\n", .ambiguousKey, "'Dependencies'"),
        (head + "AppVersion: 6.6.6\n", .ambiguousKey, "'AppVersion' is not 'appVersion'"),
        (head + "Annotations: {a: b}\n", .ambiguousKey, "'Annotations'"),
        (head + "\u{212A}ubeVersion: '>=1'\n", .ambiguousKey, "is not 'kubeVersion'"),
        (head + "Deprecated: true\n", .ambiguousKey, "'Deprecated'"),
        (head + "dependencieſ: [{name: evil}]\n", .ambiguousKey, "is not 'dependencies'"),
        (head + "dependencies:\n  - name: db\n    repository: https://good.example\n    repoſitory: https://evil.example\n",
         .ambiguousKey, "'dependencies[0].repoſitory' is not 'repository'"),
        (head + "maintainers:\n  - name: a\n    EMAIL: a@example.com\n", .ambiguousKey, "'maintainers[0].EMAIL'"),
        ("apiVersion: v2\nName: y\nname: x\nversion: 1.0.0\n", .ambiguousKey, "'Name' is not 'name'"),
        // Unquoted values Go's YAML 1.1 reader turns into other text.
        (head + "appVersion: 1.10\n", .ambiguousValue, "'appVersion' is the unquoted value '1.10', which Helm reads as '1.1'; quote it"),
        ("apiVersion: v2\nname: yes\nversion: 1.0.0\n", .ambiguousValue, "'name' is the unquoted value 'yes', which Helm reads as 'true'"),
        ("apiVersion: v2\nname: 010\nversion: 1.0.0\n", .ambiguousValue, "which Helm reads as '8'"),
        ("apiVersion: v2\nname: null\nversion: 1.0.0\n", .ambiguousValue, "which Helm reads as null"),
        (head + "description: ~\n", .ambiguousValue, "'description'"),
        (head + "keywords: [web, on]\n", .ambiguousValue, "'keywords[1]'"),
        (head + "annotations:\n  010: x\n", .ambiguousValue, "annotation key '010' is read by Helm as '8'"),
        (head + "annotations:\n  ~: x\n", .ambiguousValue, "is read by Helm as null"),
        (head + "annotations:\n  a: 0x1f\n", .ambiguousValue, "'annotations.a'"),
        (head + "dependencies:\n  - name: db\n    version: 1.10\n", .ambiguousValue, "'dependencies[0].version'"),
        (head + "maintainers:\n  - name: n\n", .ambiguousValue, "'maintainers[0].name'"),
        (head + "deprecated: tRUE\n", .ambiguousValue, "must be true or false"),
        (head + "dependencies:\n  - name: db\n    import-values: [data, 1.10]\n", .ambiguousValue, "'dependencies[0].import-values[1]'"),
        (head + "dependencies:\n  - name: db\n    enabled: yEs\n", .ambiguousValue, "'dependencies[0].enabled'"),
    ])
    func refuses(yaml: String, code: ChartMetadataError.Code, says: String) {
        let error = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: yaml) }
        #expect(error?.code == code, "\(yaml): \(error?.message ?? "")")
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
    }

    @Test func valuesHelmReadsAlikeAreAccepted() throws {
        let metadata = try ChartMetadata.parse(chartYAML: Self.head + """
            appVersion: 1.16
            description: "1.10"
            keywords: [web, "on", 2024-01-02]
            deprecated: yes
            annotations:
              count: 3
              flag: true
              "010": quoted
              example.com/odd: ~1.2.0
            dependencies:
              - name: db
                version: ~1.2.0
                enabled: true
                import-values: [data, "1.10"]
            unknownField: 1.10
            Unknown: ignored, since no field folds to it
            """)
        #expect(metadata.appVersion == "1.16" && metadata.description == "1.10")
        #expect(metadata.keywords == ["web", "on", "2024-01-02"] && metadata.deprecated == true)
        #expect(metadata.annotations == ["count": "3", "flag": "true", "010": "quoted", "example.com/odd": "~1.2.0"])
    }

    /// Yams decodes `[String: String]` by a linear lookup per key: annotations are capped at 256.
    @Test func tooManyAnnotationsAreRefused() throws {
        func chart(_ count: Int) -> String {
            Self.head + "annotations:\n" + (0..<count).map { "  k\($0): v\n" }.joined()
        }
        #expect(try ChartMetadata.parse(chartYAML: chart(ChartMetadata.maxAnnotations)).annotations?.count == 256)
        let error = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: chart(ChartMetadata.maxAnnotations + 1)) }
        #expect(error?.code == .tooManyAnnotations, "\(error?.message ?? "")")
        let huge = #expect(throws: ChartMetadataError.self) { try ChartMetadata.parse(chartYAML: chart(4_000)) }
        #expect(huge?.message.contains("more than 1000 keys (at annotations") == true, "the composer stops first: \(huge?.message ?? "")")
    }
}
