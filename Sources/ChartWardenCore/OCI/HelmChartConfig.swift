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
        guard pushed.object != nil else { throw ServiceError(.badRequest, "the config blob is not a JSON object") }
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
