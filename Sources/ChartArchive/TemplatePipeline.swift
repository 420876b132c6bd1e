/// What a printing action's pipeline can put into the rendered text, judged without values.
///
/// Text from installer input (`.Values.x`, `toYaml .Values.x`, `tpl .Values.x .`) is the
/// installer's and beyond any reader of the chart; text the chart writes itself (string literals,
/// `.Chart`, `.Files`, `define` bodies) is the writer's, and may not be allowed to form keys unseen.
enum TemplateOutput: Equatable {
    /// `include "name" ARG` / `template "name" ARG` of a known define, followed by nothing.
    case include(String, dot: TemplateValue)
    /// `include "name" ARG … | nindent N` (or `indent N`) of a known define, maybe `| trim` in between.
    case indentedInclude(String, dot: TemplateValue, columns: Int, leadingNewline: Bool, trimmed: Bool)
    /// Provably one line of author text, or installer input.
    case scalar
    /// Lines indented by `indent`/`nindent`: every line but a mid-line `indent`'s first lands at
    /// column `columns` or deeper. `authorLines`: the author's text may hold line breaks.
    case indented(columns: Int, leadingNewline: Bool, authorLines: Bool)
    /// May print line breaks followed by text at any column: keys, documents, anything.
    case unconfined
}

/// What a pipeline can see: the dot, `$`, and the variables declared so far in this unit.
struct TemplateScope {
    var dot: TemplateValue
    var root: TemplateValue
    var variables: [Substring: TemplateValue] = [:]
    /// `.Chart` fields known to be one line (see `TemplateValue.fields`).
    var chartLines: Set<String> = []
    /// The chart mutates dicts or `.Values` (`set`, `unset`, `merge*`) somewhere.
    var valuesMutable = false
    /// values.yaml defaults the author wrote (`ValueDefaults`).
    var valueDefaults: ValueDefaults = .none
    /// Where a `tpl` of author text is recorded (`TemplateRunLog`).
    var runLog: TemplateRunLog?
}

enum TemplatePipeline {
    /// Functions whose output is one line of harmless text whatever their input: they escape
    /// line breaks (`quote` is Go's `%q`, which escapes every non-printable rune, U+2028/U+0085
    /// included), encode, hash, count, compare or compute numbers.
    static let escaping: Set<Substring> = [
        "quote", "b64enc", "b32enc", "sha256sum", "sha1sum", "sha512sum", "adler32sum", "len", "urlquery", "int", "int64",
        "float64", "atoi", "toDecimal", "nospace", "add", "add1", "sub", "mul", "div", "mod", "max", "min", "addf", "add1f",
        "subf", "mulf", "divf", "maxf", "minf", "round", "ceil", "floor", "eq", "ne", "lt", "gt", "le", "ge", "not", "empty",
        "contains", "hasPrefix", "hasSuffix", "semverCompare", "regexMatch", "mustRegexMatch", "has", "hasKey", "kindIs",
        "typeIs", "typeIsLike", "kindOf", "typeOf", "deepEqual", "uuidv4", "until", "untilStep", "seq", "randAlphaNum",
        "randAlpha", "randNumeric", "fail", "isAbs", "unixEpoch", "now",
    ]
    /// Functions (Helm's, Sprig's, Go's builtins) that print no line break their inputs do not
    /// hold: the output is as one-line, and as much the author's, as the inputs. Anything not
    /// listed (`toYaml`, `b64dec`, `wrap`, `fromJson`, `toPrettyJson`, `println`, unknown
    /// functions) is assumed to make lines from author input.
    static let lineKeeping: Set<Substring> = [
        "default", "squote", "toString", "toStrings", "lower", "upper", "title", "untitle", "trunc", "trimSuffix",
        "trimPrefix", "trim", "trimAll", "replace", "print", "cat", "toJson", "toRawJson", "mustToJson", "mustToRawJson",
        "join", "ternary", "required", "coalesce", "and", "or", "kebabcase", "snakecase", "camelcase", "swapcase",
        "base", "dir", "ext", "clean", "abbrev", "abbrevboth", "repeat", "substr", "plural", "list", "get", "index",
        "first", "last", "rest", "initial", "splitList", "regexReplaceAll", "regexReplaceAllLiteral", "mustRegexReplaceAll",
        "regexFind", "regexFindAll", "uniq", "compact", "dig", "pluck", "merge", "mergeOverwrite", "set", "unset",
        "append", "prepend", "concat", "sortAlpha", "reverse", "keys", "values", "html", "js", "date", "dateInZone",
        "htmlDate", "htmlDateInZone", "initials", "mustFirst", "mustLast", "mustRest", "mustInitial", "mustAppend",
        "mustPrepend", "mustUniq", "mustCompact", "without", "mustWithout", "slice", "mustSlice", "omit", "pick",
    ]
    static let trims: Set<Substring> = ["trim", "trimSuffix", "trimPrefix", "trimAll"]
    /// Functions whose output is one YAML (or JSON) value, quoted and escaped as needed.
    static let selfContainedPrinters: Set<Substring> = [
        "toYaml", "toJson", "toPrettyJson", "toRawJson", "mustToJson", "mustToPrettyJson", "mustToRawJson",
    ]
    /// Functions that write into a dict (or `.Values`) in place.
    static let mutating: Set<Substring> = ["set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite"]

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


    /// A literal that may hold a line break: an escape, a raw line break (YAML also breaks lines
    /// at U+0085, U+2028 and U+2029), a Go character literal (a number that `printf` may print as
    /// any rune), or bytes that were not UTF-8 (read as U+FFFD here; Go keeps the bytes, and
    /// `replace "Z" "" "\xC2Z\x85"` joins them into a NEL).
    static func mayBreakLines(_ literal: Substring) -> Bool {
        literal.first == "'" || literal.unicodeScalars.contains { scalar in
            scalar == "\\" || scalar == "\n" || scalar == "\r" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
                || scalar == "\u{FFFD}"
        }
    }

    /// Whether author text may hold YAML syntax once printed (and joined with other text by
    /// `print`, `cat`, `printf`): a quote, a comment, a flow or block indicator, an anchor, alias
    /// or tag, `: `, or edges (a leading space, a trailing `:`) that joining can turn into
    /// syntax. Such text is not a plain-scalar placeholder: it is judged as lines (`multiLine`).
    static func holdsYAMLSyntax(_ literal: Substring) -> Bool {
        let inner = literal.count >= 2 ? literal.dropFirst().dropLast() : literal
        if inner.first == " " || inner.last == ":" { return true }
        // `%` (printf verbs) and `,` (`join ","`) act only at a line start or in a flow collection.
        let relaxed = inner.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: ",", with: "")
        return !TemplateMasker.isPlainText(Array(relaxed.utf8)[...])
    }

    /// Whether a `printf` format may print a line break from an argument: a `%c` or `%U` verb
    /// (`%#U` prints the rune), whatever its flags, width, precision or `[n]` index.
    static func formatPrintsRunes(_ format: Substring) -> Bool {
        var scalars = format.unicodeScalars[...]
        while let percent = scalars.firstIndex(of: "%") {
            scalars = scalars[scalars.index(after: percent)...]
            while let next = scalars.first, "+-# 0123456789.*[]".unicodeScalars.contains(next) { scalars = scalars.dropFirst() }
            guard let verb = scalars.first else { return false }
            if verb == "c" || verb == "U" { return true }
            scalars = scalars.dropFirst()
        }
        return false
    }

    // MARK: evaluation

    /// An operand of a command: a word, or a parenthesized pipeline (maybe followed by `.field`s).
    private enum Operand {
        case word(Substring)
        case group(ArraySlice<Substring>, fields: [Substring])
    }

    /// A pipeline's commands at parenthesis depth 0, split at `|`.
    static func commands(_ tokens: ArraySlice<Substring>) -> [ArraySlice<Substring>] {
        var commands: [ArraySlice<Substring>] = []
        var depth = 0
        var start = tokens.startIndex
        for index in tokens.indices {
            if tokens[index] == "(" { depth += 1 }
            if tokens[index] == ")" { depth -= 1 }
            if tokens[index] == "|", depth == 0 {
                commands.append(tokens[start..<index])
                start = index + 1
            }
        }
        commands.append(tokens[start..<tokens.endIndex])
        return commands
    }

    private static func operands(_ command: ArraySlice<Substring>) -> [Operand] {
        var operands: [Operand] = []
        var index = command.startIndex
        while index < command.endIndex {
            guard command[index] == "(" else {
                operands.append(.word(command[index]))
                index += 1
                continue
            }
            var depth = 0
            var close = index
            while close < command.endIndex {
                if command[close] == "(" { depth += 1 }
                if command[close] == ")" { depth -= 1; if depth == 0 { break } }
                close += 1
            }
            let inner = command[(index + 1)..<min(close, command.endIndex)]
            index = min(close + 1, command.endIndex)
            var fields: [Substring] = []
            // `(pipeline).a.b`: the lexer gave `.a.b` as its own word.
            if index < command.endIndex, command[index].hasPrefix("."), command[index].count > 1 {
                fields = command[index].split(separator: ".")
                index += 1
            }
            operands.append(.group(inner, fields: fields))
        }
        return operands
    }

    static func isFunctionName(_ word: Substring) -> Bool {
        guard let first = word.first else { return false }
        return first.isLetter || first == "_"
    }

    static func isNumber(_ word: Substring) -> Bool {
        guard let first = word.first else { return false }
        return first.isNumber || ((first == "-" || first == "+" || first == ".") && word.dropFirst().first?.isNumber == true)
    }

    /// What a pipeline's value can print, and whose text it is. `include` gives the value of an
    /// `include`/`template` of a define called with a given dot.
    static func evaluate(_ tokens: ArraySlice<Substring>, in scope: TemplateScope,
                         include: (String, TemplateValue) -> TemplateValue) -> TemplateValue {
        var tokens = tokens
        // `$x := pipeline`, `$k, $v := pipeline`: the value is the pipeline's.
        if let assignment = tokens.firstIndex(where: { $0 == ":=" || $0 == "=" }) {
            tokens = tokens[(assignment + 1)...]
        }
        var piped: TemplateValue?
        for command in commands(tokens) {
            piped = evaluate(command: command, piped: piped, in: scope, include: include)
        }
        return piped ?? .text([])
    }

    private static func evaluate(command: ArraySlice<Substring>, piped: TemplateValue?, in scope: TemplateScope,
                                 include: (String, TemplateValue) -> TemplateValue) -> TemplateValue {
        let operands = operands(command)
        guard let head = operands.first else { return piped ?? .text([]) }
        func value(_ operand: Operand) -> TemplateValue {
            switch operand {
            case .group(let inner, let fields):
                return evaluate(inner, in: scope, include: include).fields(fields, in: scope)
            case .word(let word):
                if isLiteral(word) { return .text(mayBreakLines(word) || holdsYAMLSyntax(word) ? .multiLine : .author) }
                if isNumber(word) || word == "true" || word == "false" || word == "nil" { return .text(.author) }
                if word == "." { return scope.dot }
                if word.hasPrefix(".") { return scope.dot.fields(word.split(separator: "."), in: scope) }
                if word.hasPrefix("$") {
                    let parts = word.split(separator: ".", omittingEmptySubsequences: false)
                    let base = parts[0] == "$" ? scope.root : (scope.variables[parts[0]] ?? .text(.multiLine))
                    return base.fields(Array(parts.dropFirst()), in: scope)
                }
                if isFunctionName(word) { return call(word, arguments: [], words: [], piped: nil) }
                return .text(.multiLine)
            }
        }
        func call(_ name: Substring, arguments: ArraySlice<Operand>, words: [Substring?], piped: TemplateValue?) -> TemplateValue {
            var values = arguments.map(value)
            if let piped { values.append(piped) }
            let joined = values.reduce(TemplateTaint()) { $0.union($1.taint) }
            switch name {
            case "include", "template":
                guard let name = words.first.flatMap({ $0 }).flatMap(unquoted) else { return .text(.multiLine) }
                return include(name, values.count > 1 ? values[1] : .text([]))
            case "tpl":
                // The template text decides what is printed; the context only feeds it values.
                let text = values.first?.taint ?? .multiLine
                if !text.isSubset(of: .installer) { scope.runLog?.runsAuthorTemplate = true }
                return .text(text == .installer ? .installer : .multiLine)
            case "dict":
                // A dict the chart may mutate holds whatever `set` puts in it.
                if scope.valuesMutable { return .text(.multiLine) }
                var entries: [String: TemplateValue] = [:]
                for pair in stride(from: 0, to: values.count - 1, by: 2) {
                    guard pair < words.count, let key = words[pair].flatMap(unquoted) else { return .text(joined) }
                    entries[key] = values[pair + 1]
                }
                return values.count % 2 == 0 ? .dict(entries) : .text(joined)
            case "printf":
                guard let format = words.first.flatMap({ $0 }), isLiteral(format), !formatPrintsRunes(format) else {
                    return .text(.multiLine)
                }
                return .text(joined)
            case "lookup":
                // The cluster's objects, which the chart itself may have written earlier.
                return .text(.multiLine)
            case "println":
                // Its own line break is the author's.
                return .text(.multiLine)
            case "ternary" where values.count == 3:
                // `ternary a b cond` prints a or b, never the condition.
                return .text(values[0].taint.union(values[1].taint))
            case "required" where values.count == 2:
                // `required "message" v` prints v (the message goes to the error).
                return .text(values[1].taint)
            case "index" where !values.isEmpty, "get" where values.count == 2:
                // An element of the collection: the keys name it, they are not printed.
                return .text(values[0].taint)
            case "indent":
                return .text(joined)
            case "nindent":
                // A line break and then the author's text: lines.
                return .text(joined.contains(.author) ? joined.union(.multiLine) : joined)
            case _ where escaping.contains(name):
                return .text(.author)
            case _ where lineKeeping.contains(name):
                return .text(joined)
            default:
                // Any other function may turn author input into lines (`toYaml`, `b64dec`, `wrap`).
                return .text(joined == .installer ? .installer : .multiLine)
            }
        }
        guard case .word(let word) = head, isFunctionName(word), word != "true", word != "false", word != "nil" else {
            // A value, or a method call on one (`.Files.Get "x"`): its arguments feed it.
            let rest = operands.dropFirst().map(value) + (piped.map { [$0] } ?? [])
            if rest.isEmpty { return value(head) }
            return .text(rest.reduce(value(head).taint) { $0.union($1.taint) }.union(.author))
        }
        let arguments = operands.dropFirst()
        let words: [Substring?] = arguments.map { if case .word(let word) = $0 { return word } else { return nil } }
        return call(word, arguments: arguments, words: words, piped: piped)
    }

    /// Classifies a printing action. `isDefined` tells whether a define of that name is known.
    static func output(of tokens: [Substring], in scope: TemplateScope, isDefined: (String) -> Bool,
                       include: (String, TemplateValue) -> TemplateValue) -> TemplateOutput {
        let commands = commands(tokens[...])
        var indentation: (columns: Int, leadingNewline: Bool)?
        if let last = commands.last, last.count == 2, last.first == "indent" || last.first == "nindent",
           let columns = Int(last[last.startIndex + 1]) {
            indentation = (columns, last.first == "nindent")
        }
        let head = commands[0]
        if head.count >= 2, head.first == "include" || head.first == "template",
           let name = unquoted(head[head.startIndex + 1]), isDefined(name) {
            let argument = head.dropFirst(2)
            let dot = argument.isEmpty ? TemplateValue.text([]) : evaluate(argument, in: scope, include: include)
            let middle = commands.dropFirst().dropLast(indentation == nil ? 0 : 1)
            // `trim` (Go's `strings.TrimSpace`) is applied to the define's text before indenting.
            let middleIsTrim = middle.allSatisfy { $0.count == 1 && $0.first == "trim" }
            // The argument only feeds values to the define: its text is the define's.
            if commands.count == 1 { return .include(name, dot: dot) }
            if let indentation, middleIsTrim {
                return .indentedInclude(name, dot: dot, columns: indentation.columns, leadingNewline: indentation.leadingNewline,
                                        trimmed: !middle.isEmpty)
            }
        }
        if let indentation {
            let inner = commands.dropLast()
            let innerTokens = tokens[..<(inner.last?.endIndex ?? 0)]
            let taint = evaluate(innerTokens, in: scope, include: include).taint
            // `toYaml`/`toJson` and `.AsConfig`/`.AsSecrets` print a YAML value of their own,
            // whatever text it holds: its lines cannot open what later lines close.
            let selfContained = inner.last.map { command in
                selfContainedPrinters.contains(command.first ?? "")
                    || command.last.map { $0.hasSuffix(".AsConfig") || $0.hasSuffix(".AsSecrets") } == true
            } ?? false
            return .indented(columns: indentation.columns, leadingNewline: indentation.leadingNewline,
                             authorLines: taint.contains(.multiLine) && !selfContained)
        }
        return evaluate(tokens[...], in: scope, include: include).taint.contains(.multiLine) ? .unconfined : .scalar
    }
}
