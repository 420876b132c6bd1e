import ChartIndex
import ChartModel

/// Deterministic entries covering every field Helm writes and text that needs escaping, shared by
/// the fragment tests and by the golden files (rendered by the code before fragments existed).
enum IndexFixtures {
    static let hostile = "line1\nline2: \"quoted\" \\ back\t tab \u{2028} sep \u{85} nel \u{7} bell \u{feff} bom é 😀 # c\n- x: y"

    /// Entry `number` of chart `chart`: fields present or absent in turn, so that every `omitempty`
    /// branch appears somewhere.
    static func entry(chart: Int, version: String, variant: Int = 0) -> IndexEntry {
        let name = chart == 3 ? "true" : "chart-\(chart)"
        var metadata = ChartMetadata(name: name, version: version)
        metadata.apiVersion = variant % 2 == 0 ? "v2" : "v1"
        if variant % 3 != 1 { metadata.description = variant % 5 == 0 ? hostile : "Chart \(chart) v\(version)" }
        if variant % 4 == 0 { metadata.appVersion = "1.\(variant)" }
        if variant % 3 == 0 { metadata.home = "https://example.com/\(name)" }
        if variant % 5 == 1 { metadata.keywords = ["web", "null", "1.0"] }
        if variant % 6 == 2 {
            metadata.maintainers = [.init(name: "Team \(chart)", email: "t\(chart)@example.com"), .init(name: "n", url: "u")]
        }
        if variant % 7 == 3 { metadata.annotations = ["category": "Web", "artifacthub.io/license": "MIT", "a: b": hostile] }
        if variant % 4 == 1 {
            var dependency = ChartMetadata.Dependency(name: "common", version: "1.x", repository: "https://charts.example.com")
            dependency.condition = "common.enabled"; dependency.tags = ["t"]; dependency.enabled = true
            dependency.importValues = [.key("k"), .mapping(child: "c", parent: "p")]; dependency.alias = "base"
            metadata.dependencies = [dependency]
        }
        if variant % 9 == 4 { metadata.deprecated = true }
        if variant % 8 == 5 { metadata.kubeVersion = ">=1.25.0"; metadata.type = "application"; metadata.condition = "c"; metadata.tags = "t" }
        if variant % 10 == 7 { metadata.sources = ["https://git.example.com/\(name)"]; metadata.icon = "https://example.com/i.png" }
        let digest = String(String(repeating: String(chart, radix: 16) + String(variant, radix: 16), count: 64).prefix(64))
        return IndexEntry(metadata: metadata, digest: digest,
                          created: "2026-11-\(10 + variant % 18)T10:00:\(10 + variant % 50).123456Z",
                          urls: [IndexEntry.chartURL(name: name, version: version, baseURL: variant % 2 == 0 ? nil : "https://c.example.com/r")])
    }

    /// `count` versions over about `count / 8` charts, versions out of order, pre-releases included.
    static func entries(count: Int) -> [IndexEntry] {
        (0..<count).map { number in
            let versions = ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "1.2.0+build.1", "0.9.1", "3.0.0", "1.0.1-alpha"]
            let chart = number / versions.count
            return entry(chart: chart, version: versions[number % versions.count], variant: number)
        }
    }
}
