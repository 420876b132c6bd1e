extension TemplateMasker {
    /// The text of a define called with `dot`, rendered once per argument shape; nil when
    /// unknown, recursive, nested too deep, ambiguous or too large.
    mutating func expand(_ name: String, dot: TemplateValue) -> Expansion? {
        let key = CacheKey(name: name, dot: dot)
        if let cached = cache[key] { return cached }
        guard let bodies = defines[name], !expanding.contains(name), expanding.count < Self.maxIncludeDepth else {
            // A recursive or too deep include is not evaluated with its argument: what it runs is unknown.
            if defines[name] != nil { runLog.runsAuthorTemplate = true }
            return nil
        }
        expanding.insert(name)
        var renders: [Rendered] = []
        for body in bodies { renders.append(render(body.pieces, dot: dot, isDefine: true)) }
        expanding.remove(name)
        // Several defines of one name (subcharts sharing a library, or a NOTES.txt overriding a
        // helper) are fine when they agree; otherwise which one Helm keeps is not judged here.
        var result: Expansion?
        if Set(renders.map(\.text)).count == 1 {
            result = Expansion(text: renders[0].text, segments: renders.flatMap(\.segments),
                               isDoubtful: renders.contains { !$0.doubtfulLines.isEmpty },
                               needsLineStart: renders.contains(where: \.needsLineStart),
                               needsLineEnd: renders.contains(where: \.needsLineEnd))
        }
        cache[key] = result
        return result
    }

    /// What `include "name" dot` yields as a value inside a pipeline.
    mutating func includedValue(_ name: String, dot: TemplateValue) -> TemplateValue {
        guard let text = expand(name, dot: dot)?.text else { return .text(.multiLine) }
        if text.contains("\n") || text.contains(Self.unconfined) || !Self.isPlainText(Array(text.utf8)[...]) { return .text(.multiLine) }
        return .text(text.contains(Self.placeholder) ? [.author, .installer] : .author)
    }

    struct CacheKey: Hashable {
        var name: String
        var dot: TemplateValue
    }

    func hasDefine(_ name: String) -> Bool { defines[name] != nil }
}
