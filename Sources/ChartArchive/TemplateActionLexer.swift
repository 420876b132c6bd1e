/// Splits a Go template (Helm's template language) into text and `{{ … }}` actions, the way
/// `text/template`'s lexer does: strings, raw strings and comments inside an action cannot end it,
/// and `{{- ` / ` -}}` trim the whitespace of the neighbouring text.
struct TemplateActionLexer {
    enum Piece {
        case text(Substring, line: Int)
        case action(TemplateAction)
    }

    struct Unterminated: Error {
        var line: Int
    }

    /// `nil` when an action never closes (Helm refuses such a template; we call it dynamic).
    static func pieces(of text: String) throws(Unterminated) -> [Piece] {
        var pieces: [Piece] = []
        let utf8 = Array(text.utf8)
        var index = 0
        var textStart = 0
        var line = 1
        var textLine = 1
        // Offsets only grow, so each index is found from the last one: linear overall.
        var knownOffset = 0
        var knownIndex = text.utf8.startIndex
        func substring(_ from: Int, _ to: Int) -> Substring {
            let start = text.utf8.index(knownIndex, offsetBy: from - knownOffset)
            let end = text.utf8.index(start, offsetBy: to - from)
            knownOffset = to
            knownIndex = end
            return text[start..<end]
        }
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\n") { line += 1 }
            guard utf8[index] == UInt8(ascii: "{"), index + 1 < utf8.count, utf8[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            if textStart < index { pieces.append(.text(substring(textStart, index), line: textLine)) }
            let actionLine = line
            var cursor = index + 2
            var trimLeft = false
            if cursor + 1 < utf8.count, utf8[cursor] == UInt8(ascii: "-"), isSpace(utf8[cursor + 1]) {
                trimLeft = true
                cursor += 1
            }
            let bodyStart = cursor
            var bodyEnd = -1
            var trimRight = false
            while cursor < utf8.count {
                let byte = utf8[cursor]
                if byte == UInt8(ascii: "\n") { line += 1 }
                if byte == UInt8(ascii: "/"), cursor + 1 < utf8.count, utf8[cursor + 1] == UInt8(ascii: "*") {
                    // A comment runs to `*/`, whatever it holds.
                    cursor += 2
                    while cursor + 1 < utf8.count, !(utf8[cursor] == UInt8(ascii: "*") && utf8[cursor + 1] == UInt8(ascii: "/")) {
                        if utf8[cursor] == UInt8(ascii: "\n") { line += 1 }
                        cursor += 1
                    }
                    cursor += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") || byte == UInt8(ascii: "'") {
                    cursor += 1
                    while cursor < utf8.count, utf8[cursor] != byte {
                        if utf8[cursor] == UInt8(ascii: "\n") { line += 1 }
                        if byte != UInt8(ascii: "`"), utf8[cursor] == UInt8(ascii: "\\") { cursor += 1 }
                        cursor += 1
                    }
                    cursor += 1
                    continue
                }
                if byte == UInt8(ascii: "}"), cursor + 1 < utf8.count, utf8[cursor + 1] == UInt8(ascii: "}") {
                    bodyEnd = cursor
                    if cursor - 2 >= bodyStart, utf8[cursor - 1] == UInt8(ascii: "-"), isSpace(utf8[cursor - 2]) {
                        trimRight = true
                        bodyEnd = cursor - 1
                    }
                    cursor += 2
                    break
                }
                cursor += 1
            }
            guard bodyEnd >= 0 else { throw Unterminated(line: actionLine) }
            let body = substring(bodyStart, bodyEnd)
            pieces.append(.action(TemplateAction(body: body, line: actionLine, trimLeft: trimLeft, trimRight: trimRight)))
            index = cursor
            textStart = cursor
            textLine = line
        }
        if textStart < utf8.count { pieces.append(.text(substring(textStart, utf8.count), line: textLine)) }
        return pieces
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}

/// One `{{ … }}` action and what it does to the output.
struct TemplateAction {
    enum Role: Equatable {
        /// Prints nothing: a comment or a variable declaration.
        case silent
        /// `if`, `range`, `with` (which open a block), `else …`, `break`, `continue`.
        case control(opens: Bool)
        case end
        case define(String)
        /// `block "name" …`: defines `name` and prints it here.
        case block(String)
        /// Prints its pipeline's value.
        case print
    }

    var body: Substring
    var line: Int
    var trimLeft: Bool
    var trimRight: Bool

    var words: [Substring] { TemplatePipeline.tokens(body) }

    var role: Role {
        let trimmed = body.drop { TemplateActionLexer.isSpace($0.asciiValue ?? 0) }
        if trimmed.hasPrefix("/*") { return .silent }
        let tokens = words
        guard let first = tokens.first else { return .silent }
        switch first {
        case "if", "range", "with": return .control(opens: true)
        case "else", "break", "continue": return .control(opens: false)
        case "end": return .end
        case "define": return .define(tokens.count > 1 ? TemplatePipeline.unquoted(tokens[1]) ?? "" : "")
        case "block": return .block(tokens.count > 1 ? TemplatePipeline.unquoted(tokens[1]) ?? "" : "")
        default:
            // `{{ $x := … }}` and `{{ $x = … }}` declare or assign and print nothing.
            if first.hasPrefix("$"), tokens.count > 1, tokens[1] == ":=" || tokens[1] == "=" { return .silent }
            return .print
        }
    }
}
