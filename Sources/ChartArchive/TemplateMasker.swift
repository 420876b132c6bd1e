/// Turns a chart's templates into YAML text a parser can judge, without values: every action is
/// replaced by what it can print, in a shape that keeps the rendered structure.
///
/// The rule (see `ManifestKindScanner`): text the writer typed is kept as Helm would emit it
/// (trim markers applied); an action that prints nothing disappears; a control action between
/// two pieces of text on one line becomes a marker, so branches glued together (`Role{{ else }}
/// ClusterRole`) cannot read as one name; an include of a known define is expanded in place
/// (indented when the pipeline ends in `indent`/`nindent`); an action that provably prints one
/// line becomes a placeholder scalar; an indented action becomes a placeholder entry at its
/// indentation; anything else becomes the `unconfined` marker, which makes its document dynamic.
struct TemplateMasker {
    /// Stands for text an action prints: it cannot spell `kind` or a kind, so a key or value
    /// holding it is one the scanner cannot judge.
    static let placeholder: Character = "\u{E000}"
    /// Stands for an action that may print line breaks and text at any column.
    static let unconfined: Character = "\u{E001}"

    /// A rendered unit: its text and, for each of its lines, the source line it came from.
    struct Rendered {
        var text = ""
        var sourceLines: [Int] = [1]
        /// Characters since the last line break, kept as text is appended (never recounted).
        var column = 0
        /// UTF-8 offset in `text` where the current line starts.
        var lineStart = 0
        /// Rendered lines (0-based) a control region may drop or repeat (an `if` that is false, a
        /// `range` of many): the masked text holds them once, so the reader checks that no token
        /// (quoted, block or multi-line scalar, flow collection) runs across their edges.
        var segments: [ClosedRange<Int>] = []
        /// Lines of control regions that are neither whole lines nor one line of plain text.
        var doubtfulLines: [Int] = []
        /// A define's region relies on the define's text starting a line, or ending one.
        var needsLineStart = false
        var needsLineEnd = false
    }

    /// Where a control action (`if`, `else`, `end`...) stood in the rendered text.
    struct Boundary {
        var offset: Int
        var line: Int
    }

    struct Define {
        var pieces: [TemplateActionLexer.Piece]
        var file: String
    }

    /// One template file split into its top-level pieces and its defines.
    struct File {
        var name: String
        var topLevel: [TemplateActionLexer.Piece]
        var defines: [(name: String, pieces: [TemplateActionLexer.Piece])]
        /// The line of an unterminated action, when the file does not lex.
        var unterminatedAt: Int?
    }

    var defines: [String: [Define]] = [:]
    var definedNames: Set<String> = []
    var cache: [CacheKey: Expansion?] = [:]

    /// A define's text as an include prints it, with its control regions (`Rendered`).
    struct Expansion {
        var text: String
        var segments: [ClosedRange<Int>]
        var isDoubtful: Bool
        var needsLineStart: Bool
        var needsLineEnd: Bool
    }
    var expanding: Set<String> = []
    /// Bounds the text expansion may create, so nested includes cannot multiply it.
    let maxOutput: Int
    var produced = 0

    /// `.Chart` fields known to be one line in every Chart.yaml.
    let chartLines: Set<String>

    /// Some action calls `set`/`unset`/`merge*` (`TemplateScope.valuesMutable`).
    let valuesMutable: Bool

    let valueDefaults: ValueDefaults

    init(files: [File], maxOutput: Int, chartLines: Set<String> = ["Name", "Version", "AppVersion"],
         valueDefaults: ValueDefaults = .none, valuesMutable: Bool = false) {
        self.chartLines = chartLines
        self.valueDefaults = valueDefaults
        let words = files.flatMap { file in
            (file.topLevel + file.defines.flatMap(\.pieces)).compactMap { piece -> [Substring]? in
                guard case .action(let action) = piece else { return nil }
                return action.words
            }
        }
        self.valuesMutable = valuesMutable || words.contains { $0.contains { TemplatePipeline.mutating.contains($0) } }
        runsTemplates = words.contains { $0.contains("tpl") }
        includesByComputedName = words.contains(where: Self.includesByComputedName)
        for file in files {
            for define in file.defines {
                defines[define.name, default: []].append(Define(pieces: define.pieces, file: file.name))
            }
        }
        definedNames = Set(defines.keys)
        self.maxOutput = maxOutput
    }

    /// Some action calls `tpl`.
    let runsTemplates: Bool
    /// Some `include`/`template` names its define with an expression (`TemplateMasker.includesByComputedName`).
    let includesByComputedName: Bool
    /// Records `tpl` calls of author text in what `render` evaluates (`TemplateRunLog`).
    let runLog = TemplateRunLog()

    /// Whether Helm may run a `tpl` of author text in these files, which may then `set` anything
    /// into `.Values` (a `TemplateRunLog`): every file's top level is evaluated with Helm's root
    /// (Helm runs partials and NOTES.txt too), every define with installer input as its dot, and
    /// an include by computed name may reach any define with any argument.
    mutating func runsAuthorTemplate(_ files: [File]) -> Bool {
        if valuesMutable { return true }
        guard runsTemplates else { return false }
        if includesByComputedName { return true }
        for file in files where file.unterminatedAt == nil { _ = render(file.topLevel) }
        for (_, bodies) in defines {
            for body in bodies { _ = render(body.pieces, dot: .text(.installer)) }
        }
        return runLog.runsAuthorTemplate || produced > maxOutput
    }

    /// An `include`/`template` whose name is not a literal, other than a file's own template
    /// (`include (print $.Template.BasePath "/x.yaml") .`, given Helm's root), which is
    /// evaluated as a file's top level.
    static func includesByComputedName(_ words: [Substring]) -> Bool {
        for index in words.indices where words[index] == "include" || words[index] == "template" {
            guard index + 1 < words.count, TemplatePipeline.unquoted(words[index + 1]) == nil else { continue }
            let group = words[(index + 1)...]
            guard group.first == "(", let close = group.firstIndex(of: ")"), close + 1 < words.count,
                  group[..<close].contains(where: { $0.hasSuffix(".Template.BasePath") }),
                  words[close + 1] == "." || words[close + 1] == "$" else { return true }
        }
        return false
    }

    /// Splits a template into top-level pieces and define bodies; a `define` or `block` region
    /// becomes one action in the top level (a silent one, or a `template` call for a block).
    static func split(name: String, text: String) -> File {
        let pieces: [TemplateActionLexer.Piece]
        do {
            pieces = try TemplateActionLexer.pieces(of: text)
        } catch {
            return File(name: name, topLevel: [], defines: [], unterminatedAt: error.line)
        }
        var topLevel: [TemplateActionLexer.Piece] = []
        var defines: [(String, [TemplateActionLexer.Piece])] = []
        // Open regions: the define or block name (nil for if/range/with), its opening action and body.
        var stack: [(name: String?, opening: TemplateAction, body: [TemplateActionLexer.Piece], isBlock: Bool)] = []
        // Positions in `stack` of the open defines, innermost last (no search per piece).
        var openDefines: [Int] = []
        func emit(_ piece: TemplateActionLexer.Piece) {
            if let index = openDefines.last {
                stack[index].body.append(piece)
            } else {
                topLevel.append(piece)
            }
        }
        for piece in pieces {
            guard case .action(let action) = piece else {
                emit(piece)
                continue
            }
            switch action.role {
            case .define(let defined), .block(let defined):
                openDefines.append(stack.count)
                stack.append((defined, action, [], action.role == .block(defined)))
            case .control(opens: true):
                stack.append((nil, action, [], false))
                emit(piece)
            case .end:
                guard let open = stack.popLast() else {
                    emit(piece)
                    continue
                }
                guard let defined = open.name else {
                    emit(piece)
                    continue
                }
                openDefines.removeLast()
                // The define's own trim markers trim its body's edges.
                var body = open.body
                body.insert(.action(TemplateAction(body: "/**/", line: open.opening.line, trimLeft: false,
                                                   trimRight: open.opening.trimRight)), at: 0)
                body.append(.action(TemplateAction(body: "/**/", line: action.line, trimLeft: action.trimLeft, trimRight: false)))
                defines.append((defined, body))
                // A block prints its define with its own argument: `template "name" ARG`.
                let call = "template " + open.opening.words.dropFirst().joined(separator: " ")
                let replacement = TemplateAction(body: Substring(open.isBlock ? call : "/**/"), line: open.opening.line,
                                                 trimLeft: open.opening.trimLeft, trimRight: action.trimRight)
                emit(.action(replacement))
            default:
                emit(piece)
            }
        }
        // An unclosed define: Helm refuses the template; its body still counts as text.
        for open in stack where open.name != nil {
            defines.append((open.name!, open.body))
        }
        return File(name: name, topLevel: topLevel, defines: defines, unterminatedAt: nil)
    }

    /// Renders pieces (a file's top level or a define body) with `dot` as the define's argument.
    /// `isDefine`: the text is a define's, inserted where an include stands, so its edges are
    /// line edges only if the include's place makes them so (`needsLineStart`/`needsLineEnd`).
    mutating func render(_ pieces: [TemplateActionLexer.Piece], dot: TemplateValue = .root, isDefine: Bool = false) -> Rendered {
        var rendered = Rendered()
        // The dot of each open `if`/`with`/`range`, innermost last; `$` is the unit's dot.
        var scope = TemplateScope(dot: dot, root: dot, chartLines: chartLines, valuesMutable: valuesMutable,
                                  valueDefaults: valueDefaults, runLog: runLog)
        var dots: [TemplateValue] = [dot]
        // Control chains (`if … else … end`): the open ones (with their keyword), and the closed.
        var chains: [(keyword: Substring, boundaries: [Boundary])] = []
        var closed: [(keyword: Substring, boundaries: [Boundary])] = []
        var lineEndRequirements: [Boundary] = []
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .text(let text, let line):
                var text = text
                var line = line
                if index > 0, case .action(let previous) = pieces[index - 1], previous.trimRight {
                    let kept = text.drop(while: Self.isTrimmed)
                    line += text[text.startIndex..<kept.startIndex].filter { $0 == "\n" || $0 == "\r\n" }.count
                    text = kept
                }
                if index + 1 < pieces.count, case .action(let next) = pieces[index + 1], next.trimLeft {
                    while let last = text.last, Self.isTrimmed(last) { text = text.dropLast() }
                }
                append(text, sourceLine: line, to: &rendered, countsLines: true)
            case .action(let action):
                track(action, scope: &scope, dots: &dots)
                let boundary = Boundary(offset: rendered.text.utf8.count, line: rendered.sourceLines.count - 1)
                switch action.role {
                case .control(opens: true):
                    chains.append((action.words.first ?? "", [boundary]))
                case .control(opens: false):
                    // `break`/`continue` skip the rest of their `range` body.
                    let keyword = action.words.first
                    let target = keyword == "else" ? chains.indices.last : chains.lastIndex { $0.keyword == "range" } ?? chains.indices.last
                    if let target { chains[target].boundaries.append(boundary) }
                case .end:
                    if var chain = chains.popLast() {
                        chain.boundaries.append(boundary)
                        closed.append(chain)
                    }
                default:
                    break
                }
                var inserted = Inserted()
                let output = output(of: action, at: index, in: pieces, rendered: rendered, scope: scope, inserted: &inserted)
                let startLine = rendered.sourceLines.count - 1
                if inserted.needsLineStart, rendered.column != 0 {
                    rendered.doubtfulLines.append(startLine)
                } else if inserted.needsLineStart, rendered.text.isEmpty, isDefine {
                    rendered.needsLineStart = true
                }
                append(Substring(output), sourceLine: action.line, to: &rendered, countsLines: false)
                rendered.segments += inserted.segments.map { ($0.lowerBound + startLine)...($0.upperBound + startLine) }
                if inserted.isDoubtful { rendered.doubtfulLines.append(startLine) }
                if inserted.needsLineEnd {
                    lineEndRequirements.append(Boundary(offset: rendered.text.utf8.count, line: rendered.sourceLines.count - 1))
                }
            }
        }
        closed += chains
        judgeRegions(closed, lineEndRequirements: lineEndRequirements, in: &rendered, isDefine: isDefine)
        return rendered
    }

    /// What an expanded include brings besides its text: its regions, in lines relative to the
    /// line the include stands on.
    struct Inserted {
        var segments: [ClosedRange<Int>] = []
        var isDoubtful = false
        var needsLineStart = false
        var needsLineEnd = false
    }

    mutating func append(_ text: Substring, sourceLine: Int, to rendered: inout Rendered, countsLines: Bool) {
        produced += text.utf8.count
        if produced > maxOutput {
            if rendered.text.last != Self.unconfined { rendered.text.append(Self.unconfined) }
            return
        }
        var line = sourceLine
        for character in text {
            rendered.text.append(character)
            if character == "\n" || character == "\r\n" {
                if countsLines { line += 1 }
                rendered.sourceLines.append(line)
                rendered.column = 0
                rendered.lineStart = rendered.text.utf8.count
            } else {
                rendered.column += 1
            }
        }
    }

    mutating func output(of action: TemplateAction, at index: Int, in pieces: [TemplateActionLexer.Piece],
                                 rendered: Rendered, scope: TemplateScope, inserted: inout Inserted) -> String {
        switch action.role {
        case .silent, .define, .block:
            return ""
        case .control, .end:
            // A branch boundary is harmless at a line break; inside a line it may glue text.
            let before = rendered.text.last
            if before == nil || before == "\n" { return "" }
            var next = index + 1
            // Bounded look-ahead keeps the cost linear; past it, assume the worst (a marker).
            while next < pieces.count, next <= index + 64 {
                if case .text(let text, _) = pieces[next] {
                    let visible = pieces[next - 1].trimsRight ? text.drop(while: Self.isTrimmed) : text
                    if let first = visible.first { return first == "\n" || first == "\r\n" ? "" : String(Self.placeholder) }
                } else if case .action(let later) = pieces[next], later.role == .print {
                    return String(Self.placeholder)
                }
                next += 1
            }
            return next < pieces.count ? String(Self.placeholder) : ""
        case .print:
            let column = rendered.column
            let known = definedNames
            func include(_ name: String, _ dot: TemplateValue) -> TemplateValue { includedValue(name, dot: dot) }
            let output = TemplatePipeline.output(of: action.words, in: scope, isDefined: known.contains, include: include)
            switch output {
            case .include(let name, let dot):
                guard let expansion = expand(name, dot: dot) else { return String(Self.unconfined) }
                inserted = Inserted(segments: expansion.segments, isDoubtful: expansion.isDoubtful,
                                    needsLineStart: expansion.needsLineStart, needsLineEnd: expansion.needsLineEnd)
                return expansion.text
            case .indentedInclude(let name, let dot, let columns, let leadingNewline, let trimmed):
                guard var expansion = expand(name, dot: dot) else { return String(Self.unconfined) }
                if trimmed {
                    // Trimmed lines would shift its regions: a define with regions is not trimmed here.
                    guard expansion.segments.isEmpty, !expansion.isDoubtful else { return String(Self.unconfined) }
                    let scalars = expansion.text.unicodeScalars
                    let first = scalars.firstIndex { !ManifestKindScanner.isGoSpace($0) } ?? scalars.endIndex
                    let last = scalars.lastIndex { !ManifestKindScanner.isGoSpace($0) }
                    expansion.text = last.map { String(scalars[first...$0]) } ?? ""
                    expansion.needsLineStart = false
                    expansion.needsLineEnd = false
                }
                let entry = Self.entryShape(at: leadingNewline ? columns : column + columns, after: rendered.text,
                                            currentLineStart: rendered.lineStart)
                let (text, lineMap, lineCount) = Self.indentMappingLines(expansion.text, columns: columns,
                                                                         leadingNewline: leadingNewline, entry: entry)
                inserted.segments = expansion.segments.map { segment in
                    let last = segment.upperBound + 1 < lineMap.count ? lineMap[segment.upperBound + 1] - 1 : lineCount - 1
                    return lineMap[segment.lowerBound]...max(lineMap[segment.lowerBound], last)
                }
                inserted.isDoubtful = expansion.isDoubtful
                // After `nindent`, the define's first line starts a line of its own.
                inserted.needsLineStart = expansion.needsLineStart && !leadingNewline
                inserted.needsLineEnd = expansion.needsLineEnd
                return text
            case .scalar:
                return String(Self.placeholder)
            case .indented(let columns, let leadingNewline, let authorLines):
                // Sprig's `indent` pads from column 0 after each line break: mid-line, the first
                // line lands at column+N and the others at N. The author's lines there are unseen.
                // The author's lines may open a quote, a flow collection or a block scalar that
                // the lines after them close: nothing after them can be read. (Under `nindent`
                // inside a block scalar they would be content, but only if the scalar's first
                // content line precedes them, which `{{- .Files.Get "x" | nindent 4 }}` right
                // under `key: |` does not give.)
                if authorLines { return String(Self.unconfined) }
                let entryColumn = leadingNewline ? columns : column + columns
                let entry = Self.entryShape(at: entryColumn, after: rendered.text, currentLineStart: rendered.lineStart)
                return (leadingNewline ? "\n" + String(repeating: " ", count: columns) : String(repeating: " ", count: columns)) + entry
            case .unconfined:
                return String(Self.unconfined)
            }
        }
    }
}

extension TemplateActionLexer.Piece {
    var trimsRight: Bool {
        if case .action(let action) = self { return action.trimRight }
        return false
    }
}
