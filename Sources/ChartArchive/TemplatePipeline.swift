/// What a printing action's pipeline can put into the rendered text, judged without values.
///
/// Text that comes from values (`.Values.x`, `toYaml .Values.x`, `tpl .Values.x .`) is the
/// installer's and beyond any reader of the chart; text the chart writes itself (string literals,
/// `define` bodies) is the writer's, and may not be allowed to form keys unseen.
enum TemplateOutput: Equatable {
    /// `include "name"` / `template "name"` of a known define, followed by nothing.
    case include(String)
    /// `include "name" … | nindent N` (or `indent N`) of a known define, trims in between.
    case indentedInclude(String, columns: Int, leadingNewline: Bool)
    /// Provably one line (no line break can come from the chart's own text).
    case scalar
    /// Any lines, every one indented by at least `columns` (the pipeline ends in `indent`/`nindent`).
    case indented(columns: Int, leadingNewline: Bool)
    /// May print line breaks followed by text at any column: keys, documents, anything.
    case unconfined
}

enum TemplatePipeline {
    /// Functions whose output is one line when their inputs are (Helm's and Sprig's).
    static let lineKeeping: Set<Substring> = [
        "default", "quote", "squote", "toString", "lower", "upper", "title", "untitle", "trunc", "trimSuffix",
        "trimPrefix", "trim", "trimAll", "replace", "print", "printf", "cat", "b64enc", "sha256sum", "sha1sum",
        "adler32sum", "int", "int64", "float64", "toJson", "toRawJson", "mustToJson", "join", "ternary", "required",
        "coalesce", "add", "add1", "sub", "mul", "div", "mod", "max", "min", "len", "urlquery", "kebabcase",
        "snakecase", "camelcase", "contains", "hasPrefix", "hasSuffix", "eq", "ne", "lt", "gt", "le", "ge", "and",
        "or", "not", "empty", "semver", "semverCompare", "base", "dir", "ext", "now", "date", "htmlDate", "uuidv4",
        "randAlphaNum", "randAlpha", "randNumeric", "nospace", "abbrev", "repeat", "substr", "plural", "dict", "list",
        "get", "index", "hasKey", "keys", "first", "last", "splitList", "regexReplaceAll", "regexFind", "regexMatch",
        "toStrings", "atoi", "round", "ceil", "floor", "uniq", "compact", "has", "kindIs", "typeOf", "deepEqual",
        "dig", "pluck", "merge", "mergeOverwrite", "set", "unset", "append", "prepend", "concat", "sortAlpha",
        "mustRegexReplaceAll", "lookup", "fail", "html", "js", "urlParse", "wrap", "wrapWith", "genCA", "derivePassword",
    ]
    /// Functions whose output is one line whatever their input: they escape or encode line breaks.
    static let lineMaking: Set<Substring> = [
        "quote", "squote", "toJson", "toRawJson", "mustToJson", "b64enc", "sha256sum", "sha1sum", "adler32sum",
        "len", "urlquery", "int", "int64", "float64", "nospace",
    ]
    static let trims: Set<Substring> = ["trim", "trimSuffix", "trimPrefix", "trimAll"]
    static let keywords: Set<Substring> = ["true", "false", "nil", "(", ")", "|", ":=", "=", ",", "else", "if", "with", "range"]

    /// Words of an action: literals stay whole (quotes included), parentheses and `|` are words.
    static func tokens(_ body: Substring) -> [Substring] {
        var tokens: [Substring] = []
        var index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            if character.isWhitespace {
                index = body.index(after: index)
                continue
            }
            let start = index
            if character == "\"" || character == "`" || character == "'" {
                index = body.index(after: index)
                while index < body.endIndex, body[index] != character {
                    if character != "`", body[index] == "\\" {
                        index = body.index(after: index)
                        if index == body.endIndex { break }
                    }
                    index = body.index(after: index)
                }
                if index < body.endIndex { index = body.index(after: index) }
            } else if character == "(" || character == ")" || character == "|" || character == "," {
                index = body.index(after: index)
            } else {
                while index < body.endIndex, !body[index].isWhitespace, !"()|,\"`'".contains(body[index]) {
                    index = body.index(after: index)
                }
            }
            tokens.append(body[start..<index])
        }
        return tokens
    }

    static func isLiteral(_ token: Substring) -> Bool {
        guard let first = token.first else { return false }
        return first == "\"" || first == "`" || first == "'"
    }

    /// The value of a plain double-quoted or raw literal without escapes, else nil.
    static func unquoted(_ token: Substring) -> String? {
        guard token.count >= 2, let first = token.first, first == "\"" || first == "`", token.last == first else { return nil }
        let inner = token.dropFirst().dropLast()
        if first == "\"", inner.contains("\\") { return nil }
        return String(inner)
    }

    /// A literal that may hold a line break (an escape, a raw newline) or a `%c` verb that prints one.
    static func mayBreakLines(_ literal: Substring) -> Bool {
        literal.contains("\\") || literal.contains("\n") || literal.contains("\r") || literal.contains("%c")
            || literal.contains("%U") || literal.first == "'"
    }

    /// The define names an action includes by a literal name.
    static func includedNames(_ tokens: [Substring]) -> [String] {
        tokens.indices.dropLast().compactMap { index in
            tokens[index] == "include" || tokens[index] == "template" ? unquoted(tokens[index + 1]) : nil
        }
    }

    /// Classifies a printing action. `isDefined` tells whether a define of that name is known,
    /// `isSingleLine` whether its expansion is known to be one line.
    static func output(of tokens: [Substring], isDefined: (String) -> Bool, isSingleLine: (String) -> Bool) -> TemplateOutput {
        // Commands at parenthesis depth 0, split at `|`.
        var commands: [[Substring]] = [[]]
        var depth = 0
        for token in tokens {
            if token == "(" { depth += 1 }
            if token == ")" { depth -= 1 }
            if token == "|", depth == 0 {
                commands.append([])
            } else {
                commands[commands.count - 1].append(token)
            }
        }
        let literals = tokens.filter(isLiteral)
        let functions = tokens.filter { token in
            guard let first = token.first else { return false }
            return !isLiteral(token) && !keywords.contains(token) && first != "." && first != "$"
                && !first.isNumber && first != "-" && first != "+"
        }
        var indentation: (columns: Int, leadingNewline: Bool)?
        if let last = commands.last, last.count == 2, last[0] == "indent" || last[0] == "nindent", let columns = Int(last[1]) {
            indentation = (columns, last[0] == "nindent")
        }
        let head = commands[0]
        if head.count >= 2, head[0] == "include" || head[0] == "template", let name = unquoted(head[1]), isDefined(name) {
            let middle = commands.dropFirst().dropLast(indentation == nil ? 0 : 1)
            let middleIsTrims = middle.allSatisfy { $0.first.map(trims.contains) ?? false && !$0.contains(where: isLiteral) }
            // The argument only feeds values to the define: its text is the define's.
            if commands.count == 1 { return .include(name) }
            if let indentation, middleIsTrims {
                return .indentedInclude(name, columns: indentation.columns, leadingNewline: indentation.leadingNewline)
            }
        }
        if let indentation { return .indented(columns: indentation.columns, leadingNewline: indentation.leadingNewline) }
        if let last = commands.last?.first, lineMaking.contains(last) { return .scalar }
        if literals.contains(where: mayBreakLines) { return .unconfined }
        // `include "x"` of a one-line define keeps a line a line, like any other value.
        let callsTemplates = tokens.indices.contains { index in
            let token = tokens[index]
            guard token == "include" || token == "template" else { return token == "tpl" && !literals.isEmpty }
            guard index + 1 < tokens.count, let name = unquoted(tokens[index + 1]) else { return true }
            return !isSingleLine(name)
        }
        if !callsTemplates, functions.allSatisfy({ lineKeeping.contains($0) || $0 == "include" || $0 == "template" || $0 == "tpl" }) {
            return .scalar
        }
        // Without a literal, every character comes from values, Chart or Release: the installer's.
        if literals.isEmpty && !callsTemplates { return .scalar }
        return .unconfined
    }
}
