import UntrustedYAML
import Yams

/// Splitting a masked template into documents as Helm does, and judging each one.
extension ManifestKindScanner {
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
    func documents(of rendered: TemplateMasker.Rendered, file: String, strict: Bool) -> [Finding] {
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

    func judge(_ text: String, file: String, document: Int, sourceLine: (Int) -> Int, strict: Bool,
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
