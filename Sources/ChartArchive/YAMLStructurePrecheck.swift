/// What the scanner refuses before handing template text to a YAML composer: anchors and
/// aliases (an alias used as a key makes Yams hash an exponentially large tree, and an alias may
/// stand for a `kind`), and nesting deep enough to exhaust the composer's recursion.
///
/// A text-level pass: quoted scalars and comments are skipped, an `&` or `*` counts only where a
/// YAML node may start (line start, after `-`, `?`, `:`, `,`, `[`, `{` or a tag), so `a && b`
/// in a value is not an anchor. Over-reporting only makes a document dynamic.
enum YAMLStructurePrecheck {
    static let maxDepth = 100

    /// The 1-based line of the first anchor, alias or too-deep nesting, or nil.
    static func firstRefusal(in text: String) -> Int? {
        var line = 1
        var quote: Character?
        var flowDepth = 0
        var indentStack: [Int] = []
        var atLineStart = true
        var column = 0
        var nodeMayStart = true
        var compactLevels = 0
        var previous: Character = "\n"
        var inTag = false
        // Inside a block scalar (`|`, `>`), lines deeper than its parent's are text, not nodes.
        var blockScalarParent: Int?
        var lineIndent = 0
        var iterator = text.makeIterator()
        var pending: Character? = iterator.next()
        while let character = pending {
            pending = iterator.next()
            defer { previous = character }
            if character == "\n" {
                line += 1
                atLineStart = true
                column = 0
                compactLevels = 0
                if quote == nil { nodeMayStart = true }
                continue
            }
            if let open = quote {
                if character == open {
                    if open == "'", pending == "'" { pending = iterator.next(); continue }
                    quote = nil
                    nodeMayStart = false
                } else if open == "\"", character == "\\" {
                    pending = iterator.next()
                }
                continue
            }
            if atLineStart {
                if character == " " { column += 1; continue }
                if let parent = blockScalarParent {
                    if column > parent {
                        while let next = pending, next != "\n" { pending = iterator.next() }
                        continue
                    }
                    blockScalarParent = nil
                }
                lineIndent = column
                if character == "#" {
                    // A comment line: skip to its end.
                    while let next = pending, next != "\n" { pending = iterator.next() }
                    continue
                }
                atLineStart = false
                while let top = indentStack.last, top > column { indentStack.removeLast() }
                if indentStack.last != column { indentStack.append(column) }
            }
            if character == " " || character == "\t" {
                if inTag { inTag = false; nodeMayStart = true }
                continue
            }
            if character == "#", previous == " " || previous == "\t" {
                while let next = pending, next != "\n" { pending = iterator.next() }
                continue
            }
            let followedBySpace = pending == nil || pending == " " || pending == "\n" || pending == "\t"
            switch character {
            case "&", "*":
                if nodeMayStart, !followedBySpace { return line }
                nodeMayStart = false
            case "!":
                if nodeMayStart { inTag = true }
            case "|", ">":
                if nodeMayStart, flowDepth == 0 {
                    blockScalarParent = lineIndent
                    while let next = pending, next != "\n" { pending = iterator.next() }
                    continue
                }
                nodeMayStart = false
            case "\"", "'":
                if nodeMayStart { quote = character } else { nodeMayStart = false }
            case "[", "{":
                if nodeMayStart {
                    flowDepth += 1
                } else {
                    nodeMayStart = false
                }
            case "]", "}":
                if flowDepth > 0 { flowDepth -= 1 }
                nodeMayStart = false
            case ",":
                nodeMayStart = flowDepth > 0
            case "-", "?", ":":
                if followedBySpace {
                    if character != ":" { compactLevels += 1 }
                    nodeMayStart = true
                } else {
                    nodeMayStart = false
                }
            default:
                if !inTag { nodeMayStart = false }
            }
            if flowDepth > 0, character == "[" || character == "{" || character == "," { nodeMayStart = true }
            if indentStack.count + compactLevels + flowDepth > maxDepth { return line }
        }
        return nil
    }
}
