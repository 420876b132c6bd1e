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
    }

    private struct Define {
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

    private var defines: [String: [Define]] = [:]
    private var cache: [String: String?] = [:]
    private var expanding: Set<String> = []
    /// Bounds the text expansion may create, so nested includes cannot multiply it.
    private let maxOutput: Int
    private var produced = 0

    init(files: [File], maxOutput: Int) {
        for file in files {
            for define in file.defines {
                defines[define.name, default: []].append(Define(pieces: define.pieces, file: file.name))
            }
        }
        self.maxOutput = maxOutput
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
                let replacement = TemplateAction(body: open.isBlock ? "template \"\(defined)\"" : "/**/", line: open.opening.line,
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

    /// Renders pieces (a file's top level or a define body).
    mutating func render(_ pieces: [TemplateActionLexer.Piece]) -> Rendered {
        var rendered = Rendered()
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .text(let text, let line):
                var text = text
                var line = line
                if index > 0, case .action(let previous) = pieces[index - 1], previous.trimRight {
                    let kept = text.drop { $0.isWhitespace }
                    line += text[text.startIndex..<kept.startIndex].filter { $0 == "\n" || $0 == "\r\n" }.count
                    text = kept
                }
                if index + 1 < pieces.count, case .action(let next) = pieces[index + 1], next.trimLeft {
                    while let last = text.last, last.isWhitespace { text = text.dropLast() }
                }
                append(text, sourceLine: line, to: &rendered, countsLines: true)
            case .action(let action):
                let output = output(of: action, at: index, in: pieces, rendered: rendered)
                append(Substring(output), sourceLine: action.line, to: &rendered, countsLines: false)
            }
        }
        return rendered
    }

    private mutating func append(_ text: Substring, sourceLine: Int, to rendered: inout Rendered, countsLines: Bool) {
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

    private mutating func output(of action: TemplateAction, at index: Int, in pieces: [TemplateActionLexer.Piece],
                                 rendered: Rendered) -> String {
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
                    let visible = pieces[next - 1].trimsRight ? text.drop { $0.isWhitespace } : text
                    if let first = visible.first { return first == "\n" || first == "\r\n" ? "" : String(Self.placeholder) }
                } else if case .action(let later) = pieces[next], later.role == .print {
                    return String(Self.placeholder)
                }
                next += 1
            }
            return next < pieces.count ? String(Self.placeholder) : ""
        case .print:
            let column = rendered.column
            let words = action.words
            var singleLine: [String: Bool] = [:]
            for name in TemplatePipeline.includedNames(words) {
                singleLine[name] = expand(name).map { !$0.contains("\n") && !$0.contains(Self.unconfined) } ?? false
            }
            switch TemplatePipeline.output(of: words, isDefined: { defines[$0] != nil }, isSingleLine: { singleLine[$0] ?? false }) {
            case .include(let name):
                return expand(name) ?? String(Self.unconfined)
            case .indentedInclude(let name, let columns, let leadingNewline):
                guard let text = expand(name) else { return String(Self.unconfined) }
                return Self.indent(text, columns: columns, leadingNewline: leadingNewline)
            case .scalar:
                return String(Self.placeholder)
            case .indented(let columns, let leadingNewline):
                let entryColumn = leadingNewline ? columns : column + columns
                let entry = Self.entryShape(at: entryColumn, after: rendered.text, currentLineStart: rendered.lineStart)
                return (leadingNewline ? "\n" + String(repeating: " ", count: columns) : String(repeating: " ", count: columns)) + entry
            case .unconfined:
                return String(Self.unconfined)
            }
        }
    }

    /// Sprig's `indent`: every line gets the padding; what was unconfined is now confined to it.
    static func indent(_ text: String, columns: Int, leadingNewline: Bool) -> String {
        let pad = String(repeating: " ", count: columns)
        var result = leadingNewline ? "\n" + pad : pad
        for character in text {
            switch character {
            case "\n", "\r\n": result += "\n" + pad
            case unconfined: result.append(placeholder)
            default: result.append(character)
            }
        }
        return result
    }

    /// A placeholder entry that fits where the indented output lands: a sequence item when the
    /// nearest line at that column is one, a mapping entry otherwise. It reads bytes from the
    /// current line's start (`currentLineStart`, a UTF-8 offset kept as text is appended) and at
    /// most `entryShapeWindow` bytes before it, so a long line of actions stays linear.
    static func entryShape(at column: Int, after text: String, currentLineStart: Int) -> String {
        let utf8 = text.utf8
        var start = utf8.index(utf8.startIndex, offsetBy: currentLineStart)
        var end = utf8.endIndex
        let floor = utf8.index(start, offsetBy: -min(currentLineStart, entryShapeWindow))
        var lines = 0
        // Only lines a line break precedes are read, as before: the text's first line never is.
        while start > utf8.startIndex, lines < 40 {
            lines += 1
            var index = start
            var indent = 0
            while index < end, utf8[index] == UInt8(ascii: " ") {
                indent += 1
                index = utf8.index(after: index)
            }
            if index < end, utf8[index] != UInt8(ascii: "#") {
                if indent == column {
                    return utf8[index] == UInt8(ascii: "-") ? "- \(placeholder)" : "\(placeholder): \(placeholder)"
                }
                if indent < column { break }
            }
            end = utf8.index(before: start)
            guard end > floor, let newline = utf8[floor..<end].lastIndex(of: UInt8(ascii: "\n")) else { break }
            start = utf8.index(after: newline)
        }
        return "\(placeholder): \(placeholder)"
    }

    static let entryShapeWindow = 8_192
    /// Deeper include chains are unconfined: the expansion recurses, and the stack is finite.
    static let maxIncludeDepth = 64

    /// The text of a define, rendered once; nil when unknown, recursive, nested too deep, ambiguous
    /// or too large.
    private mutating func expand(_ name: String) -> String? {
        if let cached = cache[name] { return cached }
        guard let bodies = defines[name], !expanding.contains(name), expanding.count < Self.maxIncludeDepth else {
            return nil
        }
        expanding.insert(name)
        var texts: [String] = []
        for body in bodies { texts.append(render(body.pieces).text) }
        expanding.remove(name)
        // Several defines of one name (subcharts sharing a library) are fine when they agree.
        let result = Set(texts).count == 1 ? texts[0] : nil
        cache[name] = result
        return result
    }

    func hasDefine(_ name: String) -> Bool { defines[name] != nil }
}

extension TemplateActionLexer.Piece {
    var trimsRight: Bool {
        if case .action(let action) = self { return action.trimRight }
        return false
    }
}
