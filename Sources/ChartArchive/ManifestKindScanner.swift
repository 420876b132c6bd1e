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
    private static func importedParents(_ text: String) -> [String]? {
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

    private static func valueDefaults(of node: Node) -> ValueDefaults {
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

    // MARK: documents

    /// Helm deletes this from every rendered template (`strings.ReplaceAll(buf.String(),
    /// "<no value>", "")` in `pkg/engine/engine.go`), so `ki<no value>nd` renders `kind`.
    static let noValue = "<no value>"

    /// Go's `unicode.IsSpace`, which `strings.TrimSpace` uses on each document Helm splits
    /// (`releaseutil.SplitManifests`): `\t \n \v \f \r`, space, U+0085, U+00A0 and the
    /// White_Space runes above Latin-1.
    static func isGoSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Splits rendered text as Helm does (`(?:^|\s*\n)---\s*`) and judges each document.
    /// `strict`: the text is what Helm applies (not a define fragment), so what cannot be read is dynamic.
    private func documents(of rendered: TemplateMasker.Rendered, file: String, strict: Bool) -> [Finding] {
        var findings: [Finding] = []
        let text = rendered.text.contains(Self.noValue) ? rendered.text.replacingOccurrences(of: Self.noValue, with: "") : rendered.text
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let regions = strict ? Self.regionsByDocument(rendered, lines: lines) : nil
        var document = 1
        var current: [Substring] = []
        var firstLine = 0
        // The line the current document starts on (its `---`), which keys `regions`.
        var separatorLine = 0
        var stripping = false
        func flush() {
            defer {
                current = []
                document += 1
            }
            // `strings.TrimSpace`: the first line of a document may lose Unicode spaces too.
            let joined = current.joined(separator: "\n")
            let scalars = joined.unicodeScalars
            guard let first = scalars.firstIndex(where: { !Self.isGoSpace($0) }) else { return }
            let last = scalars.lastIndex(where: { !Self.isGoSpace($0) })!
            let skippedLines = scalars[..<first].filter { $0 == "\n" }.count
            let text = String(scalars[first...last])
            let sourceLine = { (line: Int) in
                let index = min(max(firstLine + skippedLines + line - 1, 0), rendered.sourceLines.count - 1)
                return rendered.sourceLines[index]
            }
            // Regions in this document, in its own 1-based lines.
            let start = firstLine + skippedLines
            var segments: [ClosedRange<Int>] = []
            if let regions {
                if let doubtful = regions.doubtful[separatorLine] {
                    findings.append(Finding(file: file, document: document, line: rendered.sourceLines[doubtful], kind: "{{ … }}", isDynamic: true))
                    return
                }
                segments = (regions.segments[separatorLine] ?? []).map { ($0.lowerBound - start + 1)...($0.upperBound - start + 1) }
            }
            findings += judge(text, file: file, document: document, sourceLine: sourceLine, strict: strict, segments: segments)
        }
        for (index, line) in lines.enumerated() {
            var line = line
            if line.hasPrefix("---") {
                flush()
                line = line.dropFirst(3)
                stripping = true
                firstLine = index
                separatorLine = index
            }
            if stripping {
                // Helm's `\s*` after the separator eats blank lines and the next line's indentation.
                line = line.drop { $0.isWhitespace }
                if line.isEmpty { continue }
                stripping = false
                firstLine = index
            }
            current.append(line)
        }
        flush()
        return findings
    }

    /// The control regions of rendered text, per document (keyed by the rendered line its
    /// document starts on, its `---` line): segments inside one document, and the first doubtful
    /// line. A segment holding a `---` must be whole documents: it starts at a document's start
    /// (nothing but space before it in its document) or with a `---` line, and it ends at a
    /// document's end or with a `---` line; otherwise dropping it would join two documents.
    static func regionsByDocument(_ rendered: TemplateMasker.Rendered, lines: [Substring])
        -> (segments: [Int: [ClosedRange<Int>]], doubtful: [Int: Int]) {
        // For each line: the line its document starts on, and separators seen so far.
        var documentStart: [Int] = []
        var separatorsUpTo: [Int] = []
        var separators = 0
        var currentStart = 0
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("---") {
                currentStart = index
                separators += 1
            }
            documentStart.append(currentStart)
            separatorsUpTo.append(separators)
        }
        func isBlank(_ line: Int) -> Bool { lines[line].unicodeScalars.allSatisfy(isGoSpace) }
        var segments: [Int: [ClosedRange<Int>]] = [:]
        var doubtful: [Int: Int] = [:]
        func doubt(_ line: Int) {
            let line = min(max(line, 0), lines.count - 1)
            if doubtful[documentStart[line]] == nil { doubtful[documentStart[line]] = line }
        }
        for line in rendered.doubtfulLines { doubt(line) }
        for segment in rendered.segments {
            let lower = min(segment.lowerBound, lines.count - 1)
            let upper = min(segment.upperBound, lines.count - 1)
            guard lower <= upper else { continue }
            let holdsSeparator = separatorsUpTo[upper] - (lower > 0 ? separatorsUpTo[lower - 1] : 0) > 0
            guard holdsSeparator else {
                segments[documentStart[lower], default: []].append(lower...upper)
                continue
            }
            // Bounded walks: they stop at the first non-blank line.
            let firstContent = (lower...upper).first { !isBlank($0) }
            let lastContent = (lower...upper).reversed().first { !isBlank($0) }
            var before = lower - 1
            while before >= 0, !lines[before].hasPrefix("---"), isBlank(before) { before -= 1 }
            var after = upper + 1
            while after < lines.count, !lines[after].hasPrefix("---"), isBlank(after) { after += 1 }
            let startsAtDocument = before < 0 || lines[before].hasPrefix("---") && lines[before].dropFirst(3).allSatisfy(\.isWhitespace)
                || firstContent.map { lines[$0].hasPrefix("---") } == true
            let endsAtDocument = after == lines.count || lines[after].hasPrefix("---")
                || lastContent.map { lines[$0].hasPrefix("---") } == true
            if !(startsAtDocument && endsAtDocument) { doubt(lower) }
        }
        return (segments, doubtful)
    }

    /// Whether dropping or repeating `segments` (1-based lines of `text`) can change how the rest
    /// reads: a segment edge inside a token that spans lines (a quoted or multi-line plain
    /// scalar, a flow collection) can; inside a block scalar it cannot when the segment's lines
    /// are all content of that scalar (indented at least as its first content line, which
    /// precedes the segment). Linear: each line belongs to at most one block scalar.
    static func segmentEdgeInsideToken(_ segments: [ClosedRange<Int>], text: String, spans: [UntrustedYAMLDocument.Span]) -> Int? {
        guard !segments.isEmpty else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let count = lines.count
        // crossing[x] > 0: a non-block token runs from line x to line x+1.
        var crossing = [Int](repeating: 0, count: count + 2)
        var block = [Int](repeating: -1, count: count + 2)
        var contentStart = [Int](repeating: 0, count: spans.count)
        var belowContent = [Int](repeating: 0, count: count + 2)
        func indentation(_ line: Int) -> Int? {
            let text = lines[line - 1]
            let content = text.drop { $0 == " " }
            return content.isEmpty ? nil : text.count - content.count
        }
        for (index, span) in spans.enumerated() {
            let first = max(1, span.firstLine)
            let last = min(count, span.lastLine)
            guard first < last else { continue }
            if !span.isBlockScalar {
                crossing[first] += 1
                crossing[last] -= 1
                continue
            }
            for line in first..<last { block[line] = index }
            let content = ((first + 1)...last).first { indentation($0) != nil } ?? last + 1
            contentStart[index] = content
            if content <= last, let minimum = indentation(content) {
                for line in content...last where (indentation(line) ?? minimum) < minimum { belowContent[line] = 1 }
            }
        }
        for line in 1...(count + 1) { crossing[line] += crossing[line - 1] }
        var below = [Int](repeating: 0, count: count + 2)
        for line in 1...(count + 1) { below[line] = below[line - 1] + belowContent[line] }
        for segment in segments {
            let first = max(1, segment.lowerBound)
            let last = min(count, segment.upperBound)
            guard first <= last else { continue }
            for edge in [first - 1, last] where edge >= 1 && edge < count {
                if crossing[edge] > 0 { return edge }
                let index = block[edge]
                guard index >= 0 else { continue }
                let span = spans[index]
                let inside = contentStart[index] < first && last <= span.lastLine && below[last] - below[first - 1] == 0
                if !inside { return edge }
            }
        }
        return nil
    }

    private func judge(_ text: String, file: String, document: Int, sourceLine: (Int) -> Int, strict: Bool,
                       segments: [ClosedRange<Int>] = []) -> [Finding] {
        func dynamic(_ line: Int, _ kind: String = "") -> Finding {
            Finding(file: file, document: document, line: sourceLine(line), kind: kind, isDynamic: true)
        }
        if let index = text.firstIndex(of: TemplateMasker.unconfined) {
            return strict ? [dynamic(text[..<index].filter { $0 == "\n" }.count + 1, "{{ … }}")] : []
        }
        // YAML (go-yaml as libyaml) also breaks lines at NEL, LS and PS, which neither Helm's
        // document split nor this scanner's line logic does: not judged.
        if let index = text.unicodeScalars.firstIndex(where: { $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            return strict ? [dynamic(text.unicodeScalars[..<index].filter { $0 == "\n" }.count + 1)] : []
        }
        // An action may complete `<no value>` with the text beside it (`<no {{ "value>" }}`),
        // and Helm then deletes what the scanner reads.
        if let line = Self.lineOfNoValueFragment(in: text) {
            return strict ? [dynamic(line, "{{ … }}")] : []
        }
        var findings: [Finding] = []
        do {
            let composed = try UntrustedYAML.composeDocument(text, limits: Self.documentLimits)
            if strict, let edge = Self.segmentEdgeInsideToken(segments, text: text, spans: composed.spans) {
                return [dynamic(edge, "{{ … }}")]
            }
            var reader = KindReader(strict: strict, document: composed)
            reader.inspect()
            findings = reader.findings.map {
                Finding(file: file, document: document, line: sourceLine($0.line), kind: $0.kind,
                        apiVersion: $0.apiVersion, isDynamic: $0.isDynamic, isListItem: $0.isListItem)
            }
        } catch {
            // Every refusal (anchor, alias, tag, merge key, non-scalar or duplicate key, syntax,
            // a cap) means the document cannot be read without rendering: dynamic.
            if strict { findings.append(dynamic(error.line ?? 1)) }
        }
        return findings
    }

    /// The line of an action placeholder next to a piece of `<no value>` (a non-empty prefix
    /// before it, or suffix after it), if any.
    static func lineOfNoValueFragment(in text: String) -> Int? {
        let characters = Array(text)
        var line = 1
        for (index, character) in characters.enumerated() {
            if character == "\n" { line += 1 }
            guard character == TemplateMasker.placeholder else { continue }
            let before = String(characters[max(0, index - 9)..<index])
            let after = String(characters[(index + 1)..<min(characters.count, index + 10)])
            let pieces = (1..<noValue.count).map { (noValue.prefix($0), noValue.suffix($0)) }
            if pieces.contains(where: { before.hasSuffix($0.0) || after.hasPrefix($0.1) }) { return line }
        }
        return nil
    }

    /// Caps for one masked document. Templates can be large (a ConfigMap embedding a dashboard is
    /// one big scalar), so the size cap is the archive's per-file budget; without aliases the tree
    /// stays linear in the text, and the caps bound memory and time.
    static let documentLimits = UntrustedYAMLLimits(
        maxBytes: Int(ChartArchiveLimits.default.maxFileBytes), maxNodes: 200_000, maxDepth: 100, maxMappingPairs: 50_000,
        duplicateKeys: .kindBearing)
}
