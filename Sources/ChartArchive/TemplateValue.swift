/// Who wrote the text a template value can print, and whether it can hold a line break.
///
/// The scanner's judgement rests on this: text the installer supplies (`.Values`, `.Release`,
/// `.Capabilities`, the cluster through `lookup`) is the installer's business; text the chart's
/// author wrote (literals, `.Chart`, `.Files`, `.Template`, define bodies) is judged, and when it
/// may hold a line break it may start keys and documents anywhere, so it is `multiLine`.
struct TemplateTaint: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    /// Author text proven to be one line (a literal without escapes, a number, the chart's name).
    static let author = TemplateTaint(rawValue: 1)
    /// Installer input.
    static let installer = TemplateTaint(rawValue: 2)
    /// Author-controlled text that may hold line breaks.
    static let multiLine = TemplateTaint(rawValue: 4)
}

/// What the scanner knows about a template value: Helm's root object (whose fields have known
/// owners), a `dict` built in the template (whose entries keep their own owners, so
/// `(dict "context" $)` still reaches `.Values` as installer input), or text of some taint.
indirect enum TemplateValue: Hashable, Sendable {
    case root
    case dict([String: TemplateValue])
    case text(TemplateTaint)

    /// The taint of everything the value can print (the root prints `.Chart`, `.Files`...).
    var taint: TemplateTaint {
        switch self {
        case .root: return .multiLine
        case .dict(let entries):
            // Printing a dict (`print $d`, `keys $d`, `range $k, $v := $d`) prints its keys too.
            let keys: TemplateTaint = entries.keys.allSatisfy(ManifestKindScanner.isPlainLine) ? .author : .multiLine
            return entries.values.reduce(keys) { $0.union($1.taint) }
        case .text(let taint): return taint
        }
    }

    /// `.a.b.c` on this value. `chartLines` names the `.Chart` fields known to be one line in
    /// every Chart.yaml of the upload (`ManifestKindScanner.singleLineChartFields`).
    /// `valuesMutable`: the chart calls `set`/`unset`/`merge*` somewhere, which can write the
    /// author's text into `.Values` or any dict: both are then the author's, possibly lines.
    func fields(_ names: [Substring], in scope: TemplateScope) -> TemplateValue {
        let chartLines = scope.chartLines
        let valuesMutable = scope.valuesMutable
        var value = self
        var index = 0
        while index < names.count {
            switch value {
            case .root:
                switch names[index] {
                case "Values":
                    if valuesMutable { return .text(.multiLine) }
                    // The installer's, unless the chart's values.yaml gives it a default the author wrote.
                    return .text(scope.valueDefaults.isAuthorTextAcrossCharts(at: names[(index + 1)...]) ? .multiLine : .installer)
                case "Release", "Capabilities":
                    return .text(.installer)
                case "Chart":
                    // Chart.yaml is free author text, unless read and found to be one line.
                    let next = index + 1 < names.count ? String(names[index + 1]) : ""
                    return .text(chartLines.contains(next) ? .author : .multiLine)
                default:
                    // `.Files`, `.Template`, `.Subcharts`: the author's.
                    return .text(.multiLine)
                }
            case .dict(let entries):
                if valuesMutable { return .text(.multiLine) }
                // A missing key prints `<no value>`, which Helm deletes.
                value = entries[String(names[index])] ?? .text([])
            case .text:
                return value
            }
            index += 1
        }
        return value
    }

    /// Two values one variable or dot may hold: the worse of both.
    func merged(with other: TemplateValue) -> TemplateValue {
        self == other ? self : .text(taint.union(other.taint))
    }
}

/// Which `.Values` paths hold a default the chart's author wrote that is not one plain line: a
/// scalar with a line break or YAML syntax, or (under a mapping or list) any such scalar or a
/// `kind` key, which `toYaml` would print. Paths absent from every values.yaml stay installer
/// input. Built from the chart's and its subcharts' values.yaml together (a superset). An
/// opaque tree (a values.yaml the untrusted composer refuses, or `import-values`, which copies
/// a subchart's defaults under names no tree shows) makes every path the author's.
final class ValueDefaults: Sendable {
    let isAuthorText: Bool
    let isOpaque: Bool
    let children: [String: ValueDefaults]
    /// Only on a pooled root (`indexed()`): every author-text node of the tree, by its key.
    let named: [String: [ValueDefaults]]

    init(isAuthorText: Bool, isOpaque: Bool = false, children: [String: ValueDefaults] = [:],
         named: [String: [ValueDefaults]] = [:]) {
        self.isAuthorText = isAuthorText || isOpaque
        self.isOpaque = isOpaque
        self.children = children
        self.named = named
    }

    static let none = ValueDefaults(isAuthorText: false)
    /// A values.yaml that could not be read, or whose values come from elsewhere: every path may be the author's.
    static let unknown = ValueDefaults(isAuthorText: true, isOpaque: true)

    /// Helm coalesces a subchart's defaults into the parent's `.Values.SUB` and hands the parent's
    /// `SUB:` to the subchart, at any depth, and the trees of every values.yaml are pooled here
    /// without knowing which chart reads a path. So a path counts when any suffix of it (a
    /// parent's `.Values.b.c.nm` against a grandchild's `nm`), read from any node of the tree at
    /// any depth (a grandchild's `.Values.nm` against a grandparent's `b.c.nm`), is the
    /// author's text. Needs the root made by `indexed()`.
    func isAuthorTextAcrossCharts(at path: ArraySlice<Substring>) -> Bool {
        if isAuthorText(at: path) { return true }
        for index in path.indices {
            for node in named[String(path[index])] ?? [] where node.isAuthorText(at: path[(index + 1)...]) {
                return true
            }
        }
        return false
    }

    func isAuthorText(at path: ArraySlice<Substring>) -> Bool {
        var node = self
        for name in path {
            if node.isOpaque { return true }
            guard node.isAuthorText else { return false }
            // Absent: installer input (a field of a scalar or list is a render error).
            guard let child = node.children[String(name)] else { return false }
            node = child
        }
        return node.isAuthorText
    }

    /// The union of two trees.
    func merged(with other: ValueDefaults) -> ValueDefaults {
        if isOpaque || other.isOpaque { return .unknown }
        var children = self.children
        for (key, value) in other.children { children[key] = children[key].map { $0.merged(with: value) } ?? value }
        return ValueDefaults(isAuthorText: isAuthorText || other.isAuthorText, children: children)
    }

    /// This tree as a pooled root, with its author-text nodes indexed by key (one walk).
    func indexed() -> ValueDefaults {
        guard !isOpaque else { return self }
        var named: [String: [ValueDefaults]] = [:]
        var pending: [ValueDefaults] = [self]
        while let node = pending.popLast() {
            for (key, child) in node.children where child.isAuthorText {
                named[key, default: []].append(child)
                pending.append(child)
            }
        }
        return ValueDefaults(isAuthorText: isAuthorText, children: children, named: named)
    }
}
