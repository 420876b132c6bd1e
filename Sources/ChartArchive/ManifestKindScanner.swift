import Foundation

/// Finds the Kubernetes kinds a chart's templates can produce, without rendering them: a
/// conservative text-level reader for the content policy. It reads every line, including those
/// inside Go template actions such as `{{- if .Values.rbac }}` (a condition hides nothing from
/// it), splits documents at `---`, and reports each top-level `kind:` and the kinds of `items:`
/// in list documents.
///
/// What it cannot see, it says: a kind produced by interpolation (`kind: {{ .Values.kind }}`)
/// is reported as dynamic, so a policy can refuse what it cannot judge. Kinds assembled by
/// `include`/`tpl` from strings built at render time are beyond any text reader.
public struct ManifestKindScanner: Sendable {
    public struct Finding: Sendable, Equatable {
        /// Path inside the chart, e.g. `templates/rbac.yaml` or `charts/sub/templates/x.yaml`.
        public var file: String
        /// 1-based YAML document number within the file.
        public var document: Int
        public var line: Int
        public var kind: String
        public var apiVersion: String?
        /// The kind is a template expression; its value is only known after rendering.
        public var isDynamic: Bool
        /// Found as an element of a list document's `items:`.
        public var isListItem: Bool
    }

    public init() {}

    /// Whether Helm would render `path` (inside one chart) into manifests or install it as a CRD.
    public static func isManifestSource(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if path.hasPrefix("crds/") { return name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json") }
        guard path.hasPrefix("templates/") else { return false }
        return name != "NOTES.txt"
    }

    public func scan(file: String, text: String) -> [Finding] {
        if file.hasSuffix(".json") { return scanJSON(file: file, text: text) }
        var findings: [Finding] = []
        var document = 1
        var documentFindingsStart = 0
        var apiVersion: String?
        var inItems = false
        var itemKeyColumn: Int?
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = Self.removingTemplateActionLines(rawLine)
            if line.hasPrefix("---") {
                document += 1
                documentFindingsStart = findings.count
                apiVersion = nil
                inItems = false
                itemKeyColumn = nil
                continue
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indentation = line.count - trimmed.count
            if indentation == 0 {
                inItems = false
                if let value = Self.value(of: "apiVersion", in: trimmed) {
                    apiVersion = value.text
                    for index in documentFindingsStart..<findings.count where !findings[index].isListItem {
                        findings[index].apiVersion = value.text
                    }
                } else if let value = Self.value(of: "kind", in: trimmed) {
                    findings.append(Finding(file: file, document: document, line: lineNumber, kind: value.text,
                                            apiVersion: apiVersion, isDynamic: value.isDynamic, isListItem: false))
                } else if trimmed.hasPrefix("items:") {
                    inItems = true
                    itemKeyColumn = nil
                }
                continue
            }
            guard inItems else { continue }
            // `- kind: X` opens an item (its keys sit after the dash); `  kind: X` continues one.
            var key = trimmed
            var keyColumn = indentation
            if key.hasPrefix("- ") {
                let afterDash = key.dropFirst(2).drop { $0 == " " }
                keyColumn += key.count - afterDash.count
                key = afterDash
                if itemKeyColumn == nil { itemKeyColumn = keyColumn }
            }
            guard keyColumn == itemKeyColumn, let value = Self.value(of: "kind", in: key) else { continue }
            findings.append(Finding(file: file, document: document, line: lineNumber, kind: value.text,
                                    apiVersion: nil, isDynamic: value.isDynamic, isListItem: true))
        }
        return findings
    }

    /// A line that is only template actions (`{{- if ... }}`, `{{- end }}`) carries no YAML; a
    /// line that mixes both keeps its text with the actions blanked, so `{{- if x }}kind: Role`
    /// still counts.
    private static func removingTemplateActionLines(_ line: Substring) -> Substring {
        guard line.contains("{{") else { return line }
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix("{{") else { return line }
        var rest = trimmed
        while rest.hasPrefix("{{"), let close = rest.range(of: "}}") {
            rest = rest[close.upperBound...].drop { $0 == " " || $0 == "\t" }
        }
        return rest
    }

    /// `key: value` at the start of `text`, the value unquoted and without a trailing comment.
    private static func value(of key: String, in text: Substring) -> (text: String, isDynamic: Bool)? {
        guard text.hasPrefix(key + ":") else { return nil }
        var value = text.dropFirst(key.count + 1).drop { $0 == " " || $0 == "\t" }
        if !value.contains("{{"), let hash = value.range(of: " #") { value = value[..<hash.lowerBound] }
        var result = String(value).trimmingCharacters(in: .whitespaces)
        if result.count >= 2, let first = result.first, first == "\"" || first == "'", result.last == first {
            result = String(result.dropFirst().dropLast())
        }
        guard !result.isEmpty else { return nil }
        return (result, result.contains("{{"))
    }

    /// JSON manifests: every `"kind": "X"` counts (nesting is not tracked: over-reporting is
    /// the safe side for a policy).
    private func scanJSON(file: String, text: String) -> [Finding] {
        var findings: [Finding] = []
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var rest = line[...]
            while let key = rest.range(of: "\"kind\"") {
                rest = rest[key.upperBound...]
                let afterColon = rest.drop { $0 == " " || $0 == "\t" }
                guard afterColon.hasPrefix(":") else { continue }
                let valueStart = afterColon.dropFirst().drop { $0 == " " || $0 == "\t" }
                guard valueStart.hasPrefix("\""), let end = valueStart.dropFirst().firstIndex(of: "\"") else { continue }
                let kind = String(valueStart[valueStart.index(after: valueStart.startIndex)..<end])
                findings.append(Finding(file: file, document: 1, line: lineNumber, kind: kind, apiVersion: nil,
                                        isDynamic: kind.contains("{{"), isListItem: false))
                rest = valueStart[end...]
            }
        }
        return findings
    }
}
