extension TemplateMasker {
    /// Sprig's `indent` (`pad + strings.Replace(text, "\n", "\n"+pad, -1)`): every line gets the
    /// padding. A line made only of action output (installer values: `toYaml .Values.x` may be
    /// many entries) becomes `entry`, the placeholder entry that fits there. An unconfined action
    /// prints its first line where it stands and every other line at column `columns`: it
    /// becomes a placeholder there, then `entry` at that column (a key or item of whatever
    /// collection sits at that column, the root included, so a document it could extend stays
    /// dynamic).
    static func indent(_ text: String, columns: Int, leadingNewline: Bool, entry: String) -> String {
        indentMappingLines(text, columns: columns, leadingNewline: leadingNewline, entry: entry).text
    }

    /// `indent`, with the output line (0-based, counting the leading line break) where each input
    /// line starts, and the output's line count.
    static func indentMappingLines(_ text: String, columns: Int, leadingNewline: Bool, entry: String)
        -> (text: String, lineMap: [Int], lineCount: Int) {
        let pad = String(repeating: " ", count: columns)
        var lines: [String] = []
        var lineMap: [Int] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineMap.append(lines.count + (leadingNewline ? 1 : 0))
            var rest = line
            while true {
                let content = rest.drop { $0 == " " }
                let onlyActions = !content.isEmpty && content.allSatisfy { $0 == placeholder || $0 == unconfined || $0 == " " }
                if onlyActions, !content.contains(unconfined) || content.startIndex == rest.startIndex {
                    lines.append(String(rest[..<content.startIndex]) + entry)
                    break
                }
                guard let marker = rest.firstIndex(of: unconfined) else {
                    lines.append(String(rest))
                    break
                }
                // Its first line here, its other lines at the padding, then the text after it.
                lines.append(String(rest[..<marker]) + String(placeholder))
                lines.append(entry)
                rest = rest[rest.index(after: marker)...]
                if rest.allSatisfy({ $0 == " " }) { break }
            }
        }
        return ((leadingNewline ? "\n" : "") + lines.map { pad + $0 }.joined(separator: "\n"), lineMap,
                lines.count + (leadingNewline ? 1 : 0))
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

    /// What a trim marker removes: ASCII white space only (`text/template` trims " \t\r\n").
    static func isTrimmed(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r" || character == "\r\n"
    }
}
