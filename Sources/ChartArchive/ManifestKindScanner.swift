import Foundation

/// Finds the Kubernetes kinds a chart's templates can produce, without rendering them: a
/// conservative text-level reader for the content policy. It reads every line, including those
/// inside Go template actions such as `{{- if .Values.rbac }}` (a condition hides nothing from
/// it), splits documents at `---` and at `{{ define }}` blocks, and reports each top-level
/// `kind:` — in block or flow style, with quoted keys, at any root indentation — and the kinds of
/// `items:` in list documents.
///
/// What it cannot see, it says: a kind produced by interpolation (`kind: {{ .Values.kind }}`),
/// an alias, a tag or a multi-line value is reported as dynamic, so a policy can refuse what it
/// cannot judge. Manifests assembled at render time from values (`tpl`, `toYaml .Values.x`) are
/// beyond any text reader; helpers (`_helpers.tpl`) are scanned like templates, so a kind hidden
/// in a `define` is still found.
public struct ManifestKindScanner: Sendable {
    public struct Finding: Sendable, Equatable {
        /// Path inside the uploaded chart, e.g. `templates/rbac.yaml`, `charts/sub/templates/x.yaml`,
        /// or `charts/sub-1.0.0.tgz!/templates/x.yaml` inside a packaged subchart.
        public var file: String
        /// 1-based YAML document number within the file.
        public var document: Int
        public var line: Int
        public var kind: String
        public var apiVersion: String?
        /// The kind is not a plain name (a template expression, alias, tag or multi-line value);
        /// its value is only known after rendering.
        public var isDynamic: Bool
        /// Found as an element of a list document's `items:`.
        public var isListItem: Bool
        /// The file sits in a chart's `crds/` directory, which Helm installs without rendering.
        public var isInCRDDirectory: Bool

        public init(file: String, document: Int, line: Int, kind: String, apiVersion: String? = nil,
                    isDynamic: Bool = false, isListItem: Bool = false, isInCRDDirectory: Bool = false) {
            self.file = file
            self.document = document
            self.line = line
            self.kind = kind
            self.apiVersion = apiVersion
            self.isDynamic = isDynamic
            self.isListItem = isListItem
            self.isInCRDDirectory = isInCRDDirectory
        }
    }

    public init() {}

    /// Whether Helm would render `path` (relative to one chart's directory) into manifests or
    /// install it as a CRD.
    public static func isManifestSource(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if path.hasPrefix("crds/") { return name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json") }
        guard path.hasPrefix("templates/") else { return false }
        return name != "NOTES.txt"
    }

    /// `chartPath` is relative to the chart the file belongs to (it decides `crds/`); `file` is
    /// what findings report.
    public func scan(file: String, chartPath: String? = nil, text: String) -> [Finding] {
        var findings = file.hasSuffix(".json") ? scanFlow(file: file, text: text, firstLine: 1, document: 1)
                                                : scanYAML(file: file, text: text)
        if (chartPath ?? file).hasPrefix("crds/") {
            for index in findings.indices { findings[index].isInCRDDirectory = true }
        }
        return findings
    }

    // MARK: block YAML

    private func scanYAML(file: String, text: String) -> [Finding] {
        var findings: [Finding] = []
        var document = 1
        var documentStart = 0
        var rootColumn: Int?
        var inItems = false
        var itemKeyColumn: Int?
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        var pendingKindLine: Int?
        var documentAPIVersion: String?
        var index = 0

        func flushPendingKind() {
            guard let kindLine = pendingKindLine else { return }
            pendingKindLine = nil
            findings.append(Finding(file: file, document: document, line: kindLine, kind: "", apiVersion: documentAPIVersion,
                                    isDynamic: true))
        }

        func newDocument() {
            flushPendingKind()
            document += 1
            documentStart = findings.count
            documentAPIVersion = nil
            rootColumn = nil
            inItems = false
            itemKeyColumn = nil
        }

        while index < lines.count {
            let lineNumber = index + 1
            let rawLine = lines[index]
            index += 1
            if Self.opensDefineBlock(rawLine) {
                newDocument()
                continue
            }
            var line = Self.removingTemplateActionLines(rawLine)
            if line.hasPrefix("...") { continue }
            if line.hasPrefix("---") {
                newDocument()
                // `--- {kind: X}` or `--- kind: X` starts the next document on the same line.
                line = line.dropFirst(3).drop { $0 == " " || $0 == "\t" }
                if line.isEmpty || line.hasPrefix("#") { continue }
            }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("%") { continue }
            let column = line.count - trimmed.count

            if let kindLine = pendingKindLine, column > (rootColumn ?? 0) {
                // `kind:` with its value on the next line: what a text reader cannot judge.
                pendingKindLine = nil
                findings.append(Finding(file: file, document: document, line: kindLine, kind: String(trimmed.prefix(80)),
                                        apiVersion: documentAPIVersion, isDynamic: true))
                continue
            }
            flushPendingKind()

            if rootColumn == nil || column < rootColumn! { rootColumn = column }
            // `items:` may hold its sequence at its own column (`- kind: X` right below it).
            let isItemLine = inItems && (column > rootColumn! || trimmed.hasPrefix("- ") || trimmed == "-")
            if column == rootColumn, !isItemLine {
                inItems = false
                if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
                    // A flow-style document: gather it until its brackets close.
                    var flowText = String(trimmed)
                    var depth = Self.bracketBalance(flowText)
                    while depth > 0, index < lines.count {
                        let next = String(lines[index])
                        flowText += "\n" + next
                        depth += Self.bracketBalance(next)
                        index += 1
                    }
                    let flowFindings = scanFlow(file: file, text: flowText, firstLine: lineNumber, document: document)
                    findings.append(contentsOf: flowFindings)
                    continue
                }
                guard let (key, value) = Self.keyAndValue(trimmed) else { continue }
                switch key {
                case "apiVersion":
                    guard let value else { continue }
                    documentAPIVersion = value.text
                    for finding in documentStart..<findings.count where !findings[finding].isListItem {
                        findings[finding].apiVersion = value.text
                    }
                case "kind":
                    guard let value else {
                        pendingKindLine = lineNumber
                        continue
                    }
                    findings.append(Finding(file: file, document: document, line: lineNumber, kind: value.text,
                                            apiVersion: documentAPIVersion,
                                            isDynamic: value.isDynamic))
                case "items":
                    inItems = true
                    itemKeyColumn = nil
                default:
                    continue
                }
                continue
            }
            guard inItems else { continue }
            // `- kind: X` opens an item (its keys sit after the dash); `  kind: X` continues one.
            var key = trimmed
            var keyColumn = column
            if key.hasPrefix("- ") || key == "-" {
                let afterDash = key.dropFirst(1).drop { $0 == " " }
                keyColumn += key.count - afterDash.count
                key = afterDash
                if itemKeyColumn == nil { itemKeyColumn = keyColumn }
            }
            guard keyColumn == itemKeyColumn, let (itemKey, value) = Self.keyAndValue(key), itemKey == "kind" else { continue }
            findings.append(Finding(file: file, document: document, line: lineNumber, kind: value?.text ?? "",
                                    isDynamic: value?.isDynamic ?? true, isListItem: true))
        }
        flushPendingKind()
        return findings
    }

    /// `{{ define "name" }}` starts a named template whose body is a document of its own.
    private static func opensDefineBlock(_ line: Substring) -> Bool {
        guard let open = line.range(of: "{{") else { return false }
        let action = line[open.upperBound...].drop { $0 == "-" || $0 == " " || $0 == "\t" }
        return action.hasPrefix("define ") || action.hasPrefix("define\t") || action.hasPrefix("block ")
    }

    /// A line that is only template actions (`{{- if ... }}`, `{{- end }}`) carries no YAML; a
    /// line that mixes both keeps its text with the leading actions removed, so
    /// `{{- if x }}kind: Role` still counts.
    private static func removingTemplateActionLines(_ line: Substring) -> Substring {
        guard line.contains("{{") else { return line }
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix("{{") else { return line }
        var rest = trimmed
        while rest.hasPrefix("{{"), let close = rest.range(of: "}}") {
            rest = rest[close.upperBound...].drop { $0 == " " || $0 == "\t" }
        }
        // Keep the column of what follows, so a root key stays at the root.
        return rest.isEmpty ? rest : line[line.startIndex..<trimmed.startIndex] + rest
    }

    /// `key: value` (keys may be quoted, spaces may precede the colon). The value is nil when
    /// empty (it continues on the next lines).
    private static func keyAndValue(_ text: Substring) -> (key: String, value: (text: String, isDynamic: Bool)?)? {
        var rest = text
        var key: String
        if let quote = rest.first, quote == "\"" || quote == "'" {
            guard let end = rest.dropFirst().firstIndex(of: quote) else { return nil }
            key = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[rest.index(after: end)...]
        } else {
            guard let colon = rest.firstIndex(of: ":") else { return nil }
            key = String(rest[..<colon]).trimmingCharacters(in: .whitespaces)
            rest = rest[colon...]
        }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix(":") else { return nil }
        rest = rest.dropFirst()
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        if key.hasPrefix("? ") { key = String(key.dropFirst(2)) }
        return (key, scalar(rest))
    }

    /// A scalar value: unquoted, without a trailing comment. Anything that is not a plain name
    /// (an action, alias, tag, anchor or block scalar) is dynamic.
    private static func scalar(_ text: Substring) -> (text: String, isDynamic: Bool)? {
        var value = text.drop { $0 == " " || $0 == "\t" }
        if !value.contains("{{"), let hash = value.range(of: " #") { value = value[..<hash.lowerBound] }
        if value.hasPrefix("#") { return nil }
        var result = String(value).trimmingCharacters(in: .whitespaces)
        guard !result.isEmpty else { return nil }
        if result.count >= 2, let first = result.first, first == "\"" || first == "'", result.last == first {
            result = String(result.dropFirst().dropLast())
        }
        let plainName = !result.isEmpty && result.unicodeScalars.allSatisfy {
            ($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x61 && $0.value <= 0x7A)
                || ($0.value >= 0x30 && $0.value <= 0x39)
        }
        return (result, !plainName)
    }

    private static func bracketBalance(_ text: String) -> Int {
        var balance = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "{", "[": balance += 1
            case "}", "]": balance -= 1
            default: break
            }
        }
        return balance
    }

    // MARK: flow YAML and JSON

    /// Reads a flow-style (or JSON) document: `kind` keys of the outermost mapping, and of the
    /// mappings in its `items` sequence. Template actions are opaque: a value made by one is dynamic.
    private func scanFlow(file: String, text: String, firstLine: Int, document: Int) -> [Finding] {
        var reader = FlowReader(text: Self.maskingTemplateActions(text))
        var findings: [Finding] = []
        // Containers from the outside in; for mappings, the key whose value is being read.
        var stack: [(isMapping: Bool, key: String?)] = []
        var expectingKey = false
        var documentNumber = document
        var rootAPIVersion: String?
        while let token = reader.next() {
            switch token {
            case .open(let isMapping):
                stack.append((isMapping, nil))
                expectingKey = isMapping
            case .close:
                _ = stack.popLast()
                expectingKey = false
                if stack.isEmpty {
                    documentNumber += 1
                    rootAPIVersion = nil
                }
            case .comma:
                expectingKey = stack.last?.isMapping ?? false
            case .colon:
                expectingKey = false
            case .scalar(let text, let line, let wasMasked):
                guard let top = stack.last, top.isMapping else { continue }
                if expectingKey {
                    stack[stack.count - 1].key = text
                    expectingKey = false
                    continue
                }
                guard top.key == "kind" || top.key == "apiVersion" else { continue }
                let isRoot = stack.count == 1
                let isItem = stack.count == 3 && !stack[1].isMapping && stack[0].key == "items"
                guard isRoot || isItem else { continue }
                if top.key == "apiVersion" {
                    guard isRoot else { continue }
                    rootAPIVersion = text
                    if let last = findings.lastIndex(where: { !$0.isListItem && $0.document == documentNumber }) {
                        findings[last].apiVersion = text
                    }
                    continue
                }
                let plain = !wasMasked && !text.isEmpty && text.unicodeScalars.allSatisfy {
                    CharacterSet.alphanumerics.contains($0) && $0.isASCII
                }
                findings.append(Finding(file: file, document: documentNumber, line: firstLine + line,
                                        kind: wasMasked ? "{{ … }}" : text, apiVersion: isRoot ? rootAPIVersion : nil,
                                        isDynamic: !plain, isListItem: isItem))
            }
        }
        return findings
    }

    /// Replaces every `{{ … }}` action with a marker character, so braces inside actions cannot
    /// unbalance the document and values built by actions are known to be dynamic.
    static let actionMarker: Character = "\u{1}"

    private static func maskingTemplateActions(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[rest.endIndex...]
                break
            }
            let newlines = rest[open.lowerBound..<close.upperBound].filter { $0 == "\n" }.count
            result.append(actionMarker)
            result += String(repeating: "\n", count: newlines)
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

/// Tokens of flow-style YAML and JSON, enough to find keys and values at known depths.
private struct FlowReader {
    enum Token {
        case open(isMapping: Bool)
        case close
        case comma
        case colon
        /// A scalar, its 0-based line, and whether a template action made (part of) it.
        case scalar(String, line: Int, wasMasked: Bool)
    }

    private let characters: [Character]
    private var position = 0
    private var line = 0

    init(text: String) {
        characters = Array(text)
    }

    mutating func next() -> Token? {
        while position < characters.count {
            let character = characters[position]
            switch character {
            case "\n":
                line += 1
                position += 1
            case " ", "\t", "\r":
                position += 1
            case "#":
                while position < characters.count, characters[position] != "\n" { position += 1 }
            case "{", "[":
                position += 1
                return .open(isMapping: character == "{")
            case "}", "]":
                position += 1
                return .close
            case ",":
                position += 1
                return .comma
            case ":":
                position += 1
                return .colon
            case "\"", "'":
                return quoted(character)
            default:
                return plain()
            }
        }
        return nil
    }

    private mutating func quoted(_ quote: Character) -> Token {
        let startLine = line
        position += 1
        var text = ""
        while position < characters.count, characters[position] != quote {
            if characters[position] == "\\", quote == "\"", position + 1 < characters.count {
                position += 1
            }
            if characters[position] == "\n" { line += 1 }
            text.append(characters[position])
            position += 1
        }
        position += 1
        let masked = text.contains(ManifestKindScanner.actionMarker) || text.contains("{{")
        return .scalar(text, line: startLine, wasMasked: masked)
    }

    private mutating func plain() -> Token {
        var text = ""
        while position < characters.count {
            let character = characters[position]
            if "{}[],\n#".contains(character) { break }
            // A colon ends a plain key only when followed by a space or a flow indicator.
            if character == ":" {
                let next = position + 1 < characters.count ? characters[position + 1] : " "
                if " \t\n,}]\"".contains(next) { break }
            }
            text.append(character)
            position += 1
        }
        let value = text.trimmingCharacters(in: .whitespaces)
        return .scalar(value, line: line, wasMasked: value.contains(ManifestKindScanner.actionMarker))
    }
}
