extension TemplateMasker {
    /// A control region is judged by its pieces between consecutive boundaries of one chain.
    /// Each must be text Helm may drop or repeat without changing how the text around it reads:
    /// - one line of plain text (none of YAML's indicators: a `#` there would comment out what
    ///   follows when the branch is taken, a quote would open a scalar); or
    /// - whole lines: both boundaries at line ends, or both at line starts (or, outside a
    ///   `range`, from a line start to a line end). Those lines become a segment, checked against
    ///   the parsed document (`ManifestKindScanner`).
    /// Anything else is doubtful: its document is dynamic.
    func judgeRegions(_ chains: [(keyword: Substring, boundaries: [Boundary])], lineEndRequirements: [Boundary], in rendered: inout Rendered, isDefine: Bool) {
        let bytes = Array(rendered.text.utf8)
        var usedStart = false
        var usedEnd = false
        func isLineStart(_ offset: Int) -> Bool {
            if offset == 0 { usedStart = true; return true }
            return bytes[offset - 1] == UInt8(ascii: "\n")
        }
        func isLineEnd(_ offset: Int) -> Bool {
            if offset == bytes.count { usedEnd = true; return true }
            return bytes[offset] == UInt8(ascii: "\n")
        }
        for (keyword, chain) in chains {
            for (first, second) in zip(chain, chain.dropFirst()) {
                if first.line == second.line, Self.isPlainText(bytes[first.offset..<second.offset]) { continue }
                let (startUsed, endUsed) = (usedStart, usedEnd)
                if isLineEnd(first.offset), isLineEnd(second.offset) {
                    if first.line < second.line { rendered.segments.append((first.line + 1)...second.line) }
                    continue
                }
                (usedStart, usedEnd) = (startUsed, endUsed)
                if isLineStart(first.offset), isLineStart(second.offset) {
                    if first.line < second.line { rendered.segments.append(first.line...(second.line - 1)) }
                    continue
                }
                (usedStart, usedEnd) = (startUsed, endUsed)
                // From a line start to a line end: dropped, it leaves one blank line; repeated
                // (a `range`), its last line would run into its first.
                if keyword != "range", isLineStart(first.offset), isLineEnd(second.offset) {
                    rendered.segments.append(first.line...second.line)
                    continue
                }
                (usedStart, usedEnd) = (startUsed, endUsed)
                rendered.doubtfulLines.append(first.line)
            }
        }
        for requirement in lineEndRequirements where !isLineEnd(requirement.offset) {
            rendered.doubtfulLines.append(requirement.line)
        }
        // A file's own edges are line edges; a define's are where its include stands.
        if isDefine {
            rendered.needsLineStart = rendered.needsLineStart || usedStart
            rendered.needsLineEnd = usedEnd
        }
    }

    /// One line of text with none of YAML's indicators, so dropping or repeating it only changes
    /// a plain scalar's characters (placeholders count as plain).
    static func isPlainText(_ bytes: ArraySlice<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "#"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "}"),
                 UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"),
                 UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "\t"):
                return false
            case UInt8(ascii: " ") where previous == UInt8(ascii: ":") || previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?"):
                return false
            default:
                previous = byte
            }
        }
        return previous != UInt8(ascii: ":")
    }
}
