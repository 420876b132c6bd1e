import Yams

/// The signed text of a Helm `.prov` (Helm's `pkg/provenance`): the chart's Chart.yaml, a line
/// `...`, then a YAML mapping `files:` of file name to `sha256:<hex>`.
struct HelmProvenanceBody: Sendable, Equatable {
    let name: String
    let version: String
    let files: [String: String]

    init(signedText: [UInt8]) throws(ProvenanceBodyError) {
        guard let text = String(validating: signedText, as: UTF8.self) else {
            throw ProvenanceBodyError("the signed text is not UTF-8")
        }
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = normalized.components(separatedBy: "\n...\n")
        guard parts.count == 2 else {
            throw ProvenanceBodyError(parts.count < 2 ? "no '...' line between Chart.yaml and files"
                                                      : "more than one '...' line")
        }
        let metadata: [String: Any]
        let sums: [String: Any]
        do {
            guard let chart = try Yams.load(yaml: parts[0]) as? [String: Any] else {
                throw ProvenanceBodyError("the Chart.yaml part is not a mapping")
            }
            guard let files = try Yams.load(yaml: parts[1]) as? [String: Any] else {
                throw ProvenanceBodyError("the files part is not a mapping")
            }
            metadata = chart
            sums = files
        } catch let error as ProvenanceBodyError {
            throw error
        } catch {
            throw ProvenanceBodyError("unparsable YAML: \(error)")
        }
        guard let name = metadata["name"] as? String, !name.isEmpty else {
            throw ProvenanceBodyError("the Chart.yaml part has no name")
        }
        guard let version = metadata["version"].map({ "\($0)" }), !version.isEmpty else {
            throw ProvenanceBodyError("the Chart.yaml part has no version")
        }
        guard Set(sums.keys) == ["files"], let files = sums["files"] as? [String: Any] else {
            throw ProvenanceBodyError("the part after '...' must be exactly a 'files:' mapping")
        }
        var entries: [String: String] = [:]
        for (file, value) in files {
            guard let digest = value as? String else { throw ProvenanceBodyError("files.\(file) is not a string") }
            entries[file] = digest
        }
        self.name = name
        self.version = version
        self.files = entries
    }
}

struct ProvenanceBodyError: Error, Sendable, Equatable {
    let message: String

    init(_ message: String) { self.message = message }
}
