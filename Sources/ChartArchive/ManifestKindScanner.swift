import UntrustedYAML
import Yams

/// Finds the Kubernetes kinds a chart's templates can produce, without rendering them, for the
/// content policy. Sound rather than clever: whatever it cannot prove is not a denied kind is
/// reported as dynamic, so the default policy refuses it.
///
/// How: every template is turned into YAML by `TemplateMasker` (trim markers applied as Helm
/// does, actions replaced by what they can print, includes of known defines expanded), split
/// into documents at `---` as Helm splits them, and read by a real YAML parser (libyaml, through
/// `UntrustedYAML`, the composer that reads Chart.yaml, which refuses anchors, aliases, tags,
/// merge keys, non-scalar and duplicate keys before composing, under size/node/depth caps). Escapes,
/// quoting, flow or block style, BOMs, comments and indentation are the parser's business, so
/// `"\u006bind"` is `kind`. Then, in each document's root mapping and in the mappings of its
/// `items`:
/// - a `kind` key (any case) gives a finding; a value that is not a plain name is dynamic;
/// - a key an action printed, a merge key (`<<`), a non-string key, a tag, an anchor or alias → dynamic;
/// - a document that does not parse, or holds an action that may print line breaks at any
///   column (an `unconfined` action), is dynamic.
///
/// Which action positions can make a root-level key? An action prints text where it stands, and
/// line breaks it prints start new lines at column 0. So the only actions allowed to stand
/// anywhere are those whose output is provably one line of author text or is installer input
/// (`TemplatePipeline.evaluate` tracks whose text each value is, through variables, dots, dicts
/// and define arguments; only whitelisted functions keep author text one line) — their
/// placeholder then shows the parser whether
/// they sit at a value (fine) or at a key/line start of the root (dynamic) — and those whose
/// pipeline ends in `indent N`/`nindent N`, whose every line lands at column N or deeper (the
/// placeholder entry goes there, so `{{- include "x.labels" . | nindent 4 }}` under
/// `metadata.labels` stays nested). Includes of a known define are expanded, so their text is
/// judged where it lands. Text from values (`.Values`, `tpl`, `toYaml .Values.x`) is the
/// installer's and not seen (README, "What the scanner cannot see").
///
/// Control regions (`if`/`with`/`range` bodies) appear once in the masked text, while Helm may
/// drop or repeat them: `TemplateMasker` records them as whole-line segments (or one line of
/// plain text), and a segment edge inside a token that spans lines makes the document dynamic
/// (`segmentEdgeInsideToken`). `values.yaml` defaults the author wrote are author text
/// (`ValueDefaults`).
///
/// Define bodies are also judged as documents of their own (a kind spelled in a helper is
/// reported even if unused); only plain kinds count there, since a fragment need not parse.
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

    /// A file the scanner reads: `file` is what findings report, `chartPath` is relative to the
    /// (sub)chart it belongs to and decides `crds/`, `_` partials and NOTES.
    public struct Source: Sendable {
        public var file: String
        public var chartPath: String
        public var text: String

        public init(file: String, chartPath: String? = nil, text: String) {
            self.file = file
            self.chartPath = chartPath ?? file
            self.text = text
        }
    }

    /// Whether `path` (relative to one chart's directory) is a template or CRD the scanner reads:
    /// every file under `templates/` (Helm parses them all, NOTES.txt included, into one
    /// namespace of defines, so any may override a helper), and CRD files.
    public static func isManifestSource(_ path: String) -> Bool {
        // Helm installs crds/ files whose extension matches .yaml/.yml/.json under Go's
        // `strings.EqualFold` (`.YAML`, even `.jſon`): every file there is read, strictly.
        return path.hasPrefix("crds/") || path.hasPrefix("templates/")
    }

    /// Whether Helm applies what `path` renders: every file under `templates/`, whatever its
    /// extension, except partials (`_` names, whose defines still count) and NOTES.
    static func isRendered(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return path.hasPrefix("templates/") && !name.hasPrefix("_") && !name.hasSuffix("NOTES.txt")
    }

    /// Scans one file on its own (its defines are the only ones known).
    public func scan(file: String, chartPath: String? = nil, text: String) -> [Finding] {
        scan([Source(file: file, chartPath: chartPath, text: text)])
    }

    /// Scans a chart's files together: defines are global to a chart and its subcharts, as in Helm.
    public func scan(_ sources: [Source]) -> [Finding] {
        let normalized = sources.map { source in
            var source = source
            source.text = Self.normalized(source.text)
            return source
        }
        let metadata = normalized.filter { $0.chartPath == "Chart.yaml" }.map(\.text)
        let values = normalized.filter { $0.chartPath == "values.yaml" }.map(\.text)
        let manifests = normalized.filter { $0.chartPath != "Chart.yaml" && $0.chartPath != "values.yaml" }
        let templates = manifests.filter { !$0.chartPath.hasPrefix("crds/") }
        let files = templates.map { TemplateMasker.split(name: $0.file, text: $0.text) }
        let inputBytes = manifests.reduce(0) { $0 + $1.text.utf8.count }
        let maxOutput = max(4 << 20, inputBytes * 8)
        let chartLines = Self.singleLineChartFields(metadata)
        let valueDefaults = Self.valueDefaults(values, metadata: metadata)
        // A first pass over what Helm runs finds a `tpl` of author text, which may `set` into
        // `.Values` before any template reads it: the second pass then treats `.Values` as the author's.
        var probe = TemplateMasker(files: files, maxOutput: maxOutput, chartLines: chartLines, valueDefaults: valueDefaults)
        var masker = TemplateMasker(files: files, maxOutput: maxOutput, chartLines: chartLines, valueDefaults: valueDefaults,
                                    valuesMutable: probe.runsAuthorTemplate(files))
        var findings: [Finding] = []
        var templateIndex = 0
        for source in manifests {
            if source.chartPath.hasPrefix("crds/") {
                // Helm installs CRD files as they are, without rendering.
                var rendered = TemplateMasker.Rendered()
                rendered.text = source.text
                rendered.sourceLines = Array(1...max(1, source.text.split(separator: "\n", omittingEmptySubsequences: false).count))
                var crdFindings = documents(of: rendered, file: source.file, strict: true)
                for index in crdFindings.indices { crdFindings[index].isInCRDDirectory = true }
                findings += crdFindings
                continue
            }
            let file = files[templateIndex]
            templateIndex += 1
            if let line = file.unterminatedAt {
                findings.append(Finding(file: source.file, document: 1, line: line, kind: "", isDynamic: true))
                continue
            }
            if Self.isRendered(source.chartPath) {
                findings += documents(of: masker.render(file.topLevel), file: source.file, strict: true)
            }
            for define in file.defines {
                findings += documents(of: masker.render(define.pieces), file: source.file, strict: false)
            }
        }
        return findings
    }

    /// The `.Chart` fields templates commonly print (`.Chart.Name`, `.Chart.Version`,
    /// `.Chart.AppVersion`) that are one line in every Chart.yaml given (a chart and its
    /// subcharts; a dependency's `alias` counts as a name); without any Chart.yaml (a caller scanning loose templates), the three.
    /// Every other `.Chart` field is the author's free text, possibly lines.
    static func singleLineChartFields(_ texts: [String]) -> Set<String> {
        // Helm's `Metadata.Validate` (pkg/chart/v2/metadata.go) maps every Unicode space of these
        // to ' ' and drops non-printable runes: one line always, but it may still hold YAML syntax.
        var fields: Set<String> = Set(sanitizedFields.values).union(["Version"])
        for text in texts {
            guard let document = try? UntrustedYAML.composeDocument(text, limits: .chartMetadata),
                  case .mapping(let mapping)? = document.root else { return [] }
            for (key, value) in mapping {
                // Helm renames an aliased subchart: its `.Chart.Name` is the parent's `alias`.
                if case .scalar(let field) = key, field.string == "dependencies" {
                    guard case .sequence(let dependencies) = value else { continue }
                    for case .mapping(let dependency) in dependencies {
                        for (key, alias) in dependency where key.scalar?.string == "alias" {
                            if !(alias.scalar.map { isPlainLine($0.string) } ?? false) {
                                fields.remove("Name")
                            }
                        }
                    }
                    continue
                }
                guard case .scalar(let field) = key else { continue }
                // Go matches JSON field names case-insensitively (with Unicode folding): a key
                // that is not ASCII could be any field.
                guard field.string.allSatisfy(\.isASCII) else { return [] }
                let lowered = field.string.lowercased()
                guard let name = sanitizedFields[lowered] ?? (lowered == "version" ? "Version" : nil) else { continue }
                guard case .scalar(let scalar) = value, isPlainLine(sanitized(scalar.string)) else {
                    fields.remove(name)
                    continue
                }
            }
        }
        return fields
    }

    /// The author's defaults in values.yaml files (read with the untrusted composer), pooled.
    /// Opaque (every `.Values` path the author's) when any values.yaml is refused. `import-values`
    /// copies a subchart's defaults: the string form (`exports.X` merged at
    /// the parent's root) keeps their names, which `isAuthorTextAcrossCharts` matches at any
    /// depth; the `child`/`parent` form puts them under `parent`, which is then opaque.
    static func valueDefaults(_ texts: [String], metadata: [String] = []) -> ValueDefaults {
        var pooled = texts.reduce(ValueDefaults.none) { defaults, text in
            guard let document = try? UntrustedYAML.composeDocument(text, limits: documentLimits) else { return .unknown }
            return defaults.merged(with: document.root.map(valueDefaults(of:)) ?? .none)
        }
        for text in metadata {
            guard let parents = importedParents(text) else { return .unknown }
            for parent in parents {
                let names = parent.split(separator: ".", omittingEmptySubsequences: false)
                guard !names.contains(where: \.isEmpty) else { return .unknown }
                let graft = names.reversed().reduce(ValueDefaults.unknown) { child, name in
                    ValueDefaults(isAuthorText: true, children: [String(name): child])
                }
                pooled = pooled.merged(with: graft)
            }
        }
        return pooled.indexed()
    }

    /// The `parent` paths of a Chart.yaml's `import-values` in `child`/`parent` form; nil when it
    /// cannot be read, or an entry, or a key that may be `import-values` under Go's
    /// case-insensitive JSON field match (a non-ASCII one), is anything else.
    static func importedParents(_ text: String) -> [String]? {
        guard let document = try? UntrustedYAML.composeDocument(text, limits: .chartMetadata) else { return nil }
        guard case .mapping(let mapping)? = document.root else { return [] }
        var parents: [String] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string, name.allSatisfy(\.isASCII) else { return nil }
            guard name.lowercased() == "dependencies", case .sequence(let dependencies) = value else { continue }
            for case .mapping(let fields) in dependencies {
                for (key, imports) in fields {
                    guard let field = key.scalar?.string, field.allSatisfy(\.isASCII) else { return nil }
                    guard field.lowercased() == "import-values" else { continue }
                    guard case .sequence(let entries) = imports else { return nil }
                    for entry in entries {
                        switch entry {
                        case .scalar: continue
                        case .mapping(let pair):
                            guard let parent = pair.first(where: { $0.0.scalar?.string == "parent" })?.1.scalar?.string else { return nil }
                            guard pair.allSatisfy({ ["child", "parent"].contains($0.0.scalar?.string) }) else { return nil }
                            parents.append(parent)
                        default: return nil
                        }
                    }
                }
            }
        }
        return parents
    }

    static func valueDefaults(of node: Node) -> ValueDefaults {
        switch node {
        case .scalar(let scalar):
            return ValueDefaults(isAuthorText: !isPlainLine(scalar.string))
        case .alias:
            return .unknown
        case .sequence(let items):
            let values = items.map(valueDefaults(of:))
            // Opaque anywhere: opaque everywhere (an unknown subtree may sit under any name).
            if values.contains(where: \.isOpaque) { return .unknown }
            return ValueDefaults(isAuthorText: values.contains { $0.isAuthorText })
        case .mapping(let mapping):
            var children: [String: ValueDefaults] = [:]
            var isAuthorText = false
            for (key, value) in mapping {
                let name = key.scalar?.string ?? ""
                let child = valueDefaults(of: value)
                if child.isOpaque { return .unknown }
                children[name] = child
                if child.isAuthorText || !isPlainLine(name) || name.lowercased() == "kind" { isAuthorText = true }
            }
            return ValueDefaults(isAuthorText: isAuthorText, children: children)
        }
    }

    /// Chart.yaml keys (lowercased) whose string value Helm sanitizes, and their `.Chart` field.
    static let sanitizedFields: [String: String] = [
        "name": "Name", "appversion": "AppVersion", "description": "Description", "home": "Home", "icon": "Icon",
        "kubeversion": "KubeVersion", "condition": "Condition", "tags": "Tags",
    ]

    /// Helm's `sanitizeString`: Unicode spaces become ' ', other non-printable runes go.
    static func sanitized(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.compactMap { scalar -> Unicode.Scalar? in
            if isGoSpace(scalar) { return " " }
            return ChartArchiveReader.isControlOrLineBreak(scalar) ? nil : scalar
        }))
    }

    /// One line with no YAML syntax (`TemplatePipeline.holdsYAMLSyntax`): printed, it stays a plain scalar.
    static func isPlainLine(_ text: String) -> Bool {
        !text.unicodeScalars.contains(where: ChartArchiveReader.isControlOrLineBreak)
            && !TemplatePipeline.holdsYAMLSyntax("\"" + text[...] + "\"")
    }

    /// CRLF and lone CR become LF; BOMs go (a BOM is not content to Helm's YAML reader).
    static func normalized(_ text: String) -> String {
        var text = text
        if text.contains("\r") { text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") }
        if text.unicodeScalars.contains("\u{FEFF}") { text = text.replacingOccurrences(of: "\u{FEFF}", with: "") }
        return text
    }
}
