import ChartModel
import Foundation

/// The config blob of a pushed chart, judged against the Chart.yaml read from the verified chart
/// layer. Helm's registry client reads this blob as the chart's metadata on pull (and registry
/// UIs show it), so it must say what the archive says: the config is accepted when it is the same
/// JSON value as the archive's `ChartMetadata`, up to key order and the fields Go's `omitempty`
/// leaves out (null, "", false, empty arrays and objects). Byte equality with a config we would
/// generate cannot be asked for: Helm's encoder orders and escapes differently.
enum HelmChartConfig {
    static func check(_ config: [UInt8], matches metadata: ChartMetadata) throws(ServiceError) {
        let pushed: StrictJSON
        do {
            pushed = try StrictJSON.parse(config)
        } catch {
            throw ServiceError(.badRequest, "the config blob is not valid JSON: \(error.message)")
        }
        guard let object = pushed.object else { throw ServiceError(.badRequest, "the config blob is not a JSON object") }
        try checkKeys(object)
        let expected: StrictJSON
        do {
            expected = try StrictJSON.parse(Array(JSONEncoder().encode(metadata)))
        } catch {
            throw ServiceError(.internalError, "could not encode the chart's metadata")
        }
        let (have, want) = (withoutEmptyFields(pushed), withoutEmptyFields(expected))
        guard have == want else {
            let fields = differingFields(have.object ?? [:], want.object ?? [:])
            throw ServiceError(.badRequest, "the config blob does not match the chart's Chart.yaml (\(metadata.name) "
                + "\(metadata.version)); differing fields: \(fields.joined(separator: ", "))")
        }
    }

    /// The fields of Helm's `chart.Metadata`, `Dependency` and `Maintainer`, spelled exactly. Go's
    /// `encoding/json` matches keys case-insensitively (with Unicode folding) and the last wins, so
    /// a key that is none of these (`"Deprecated": false` beside `"deprecated": true`, `"ſources"`)
    /// would change what Helm reads even with an "empty" value the comparison below drops.
    static let metadataKeys: Set<String> = ["apiVersion", "name", "version", "kubeVersion", "description", "type",
                                            "keywords", "home", "sources", "dependencies", "maintainers", "icon",
                                            "appVersion", "deprecated", "annotations", "condition", "tags"]
    static let dependencyKeys: Set<String> = ["name", "version", "repository", "condition", "tags", "enabled",
                                              "import-values", "alias"]
    static let maintainerKeys: Set<String> = ["name", "email", "url"]

    private static func checkKeys(_ object: [String: StrictJSON]) throws(ServiceError) {
        func unknown(_ members: [String: StrictJSON], _ allowed: Set<String>, _ path: String) throws(ServiceError) {
            if let key = members.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw ServiceError(.badRequest, "the config blob has the field \"\(path)\(key)\", which is not a Chart.yaml field "
                    + "(fields are spelled exactly as Helm writes them)")
            }
        }
        try unknown(object, metadataKeys, "")
        for (field, allowed) in [("dependencies", dependencyKeys), ("maintainers", maintainerKeys)] {
            for (index, item) in (object[field]?.array ?? []).enumerated() {
                if let members = item.object { try unknown(members, allowed, "\(field)[\(index)].") }
            }
        }
    }

    /// Go's `omitempty`: absent and empty are the same field. Annotation values are kept as they
    /// are (a map's entries are not omitted).
    static func withoutEmptyFields(_ value: StrictJSON, keepEntries: Bool = false) -> StrictJSON {
        switch value {
        case .array(let items):
            return .array(items.map { withoutEmptyFields($0) })
        case .object(let members):
            var kept: [String: StrictJSON] = [:]
            for (key, member) in members {
                let normalized = withoutEmptyFields(member, keepEntries: key == "annotations")
                if keepEntries || !isEmpty(normalized) { kept[key] = normalized }
            }
            return .object(kept)
        default:
            return value
        }
    }

    private static func isEmpty(_ value: StrictJSON) -> Bool {
        switch value {
        case .null, .bool(false): true
        case .string(let text): text.isEmpty
        case .array(let items): items.isEmpty
        case .object(let members): members.isEmpty
        default: false
        }
    }

    private static func differingFields(_ have: [String: StrictJSON], _ want: [String: StrictJSON]) -> [String] {
        Set(have.keys).union(want.keys).filter { have[$0] != want[$0] }.sorted()
    }
}
