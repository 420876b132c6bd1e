import UntrustedYAML
import Yams

/// The signed text of a Helm `.prov` (Helm's `pkg/provenance`): the chart's Chart.yaml, a line
/// `...`, then a YAML mapping `files:` of file name to `sha256:<hex>`.
public struct HelmProvenanceBody: Sendable, Equatable {
    public let name: String
    public let version: String
    public let files: [String: String]

    public init(signedText: [UInt8]) throws(ProvenanceBodyError) {
        guard let text = String(validating: signedText, as: UTF8.self) else {
            throw ProvenanceBodyError("the signed text is not UTF-8")
        }
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = normalized.components(separatedBy: "\n...\n")
        guard parts.count == 2 else {
            throw ProvenanceBodyError(parts.count < 2 ? "no '...' line between Chart.yaml and files"
                                                      : "more than one '...' line")
        }
        let (name, version) = try Self.chartIdentity(chartYAML: parts[0])
        let sums = try Self.mapping(parts[1], part: "the files part")
        guard sums.count == 1, let files = Self.value(sums, "files")?.mapping else {
            throw ProvenanceBodyError("the part after '...' must be exactly a 'files:' mapping")
        }
        var entries: [String: String] = [:]
        for (file, value) in files {
            let fileName = file.scalar?.string ?? ""
            guard let digest = value.scalar?.string else { throw ProvenanceBodyError("files.\(fileName) is not a string") }
            entries[fileName] = digest
        }
        self.name = name
        self.version = version
        self.files = entries
    }

    /// The chart a body's Chart.yaml part names. Also what the server reads from a prov it does
    /// not verify, so both see the same name and version.
    public static func chartIdentity(chartYAML: String) throws(ProvenanceBodyError) -> (name: String, version: String) {
        let chart = try mapping(chartYAML, part: "the Chart.yaml part")
        guard let name = string(chart, "name"), !name.isEmpty else {
            throw ProvenanceBodyError("the Chart.yaml part has no name")
        }
        guard let version = string(chart, "version"), !version.isEmpty else {
            throw ProvenanceBodyError("the Chart.yaml part has no version")
        }
        return (name, version)
    }

    /// Reads one part of the body as a mapping, through the composer for untrusted YAML.
    static func mapping(_ text: String, part: String) throws(ProvenanceBodyError) -> Node.Mapping {
        let node: Node?
        do {
            node = try UntrustedYAML.compose(text, limits: .chartMetadata)
        } catch {
            throw ProvenanceBodyError("\(part) is not valid YAML for a chart: \(error.message)")
        }
        guard let mapping = node?.mapping else { throw ProvenanceBodyError("\(part) is not a mapping") }
        return mapping
    }

    /// A value by its key's text, whatever the key's quoting (the composer refuses duplicate keys).
    static func value(_ mapping: Node.Mapping, _ key: String) -> Node? {
        mapping.first { $0.key.scalar?.string == key }?.value
    }

    /// A scalar field as written. Only name and version are read, to find the chart the prov
    /// signs; Helm itself never reads them from a prov (it checks the `files:` digests).
    static func string(_ mapping: Node.Mapping, _ key: String) -> String? {
        value(mapping, key)?.scalar?.string
    }
}

public struct ProvenanceBodyError: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
