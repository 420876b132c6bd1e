extension TemplateMasker {
    /// Follows what `with`, `range` and variable declarations make of the dot and the variables.
    /// Variables are kept per unit and only ever get worse (a redeclaration merges), which
    /// over-approximates Go's block scoping.
    mutating func track(_ action: TemplateAction, scope: inout TemplateScope, dots: inout [TemplateValue]) {
        var words = action.words[...]
        func include(_ name: String, _ dot: TemplateValue) -> TemplateValue { includedValue(name, dot: dot) }
        func declare(_ value: TemplateValue) {
            guard let assignment = words.firstIndex(where: { $0 == ":=" || $0 == "=" }) else { return }
            for name in words[..<assignment] where name.hasPrefix("$") {
                scope.variables[name] = scope.variables[name].map { $0.merged(with: value) } ?? value
            }
        }
        // `($x = pipeline)` / `($x := pipeline)` anywhere in an action (an `if` condition, an
        // argument) assigns too: the variable may then hold anything the author wrote.
        for index in words.indices.dropFirst(2) where (words[index] == "=" || words[index] == ":=")
            && words[index - 1].hasPrefix("$") && words[index - 2] == "(" {
            scope.variables[words[index - 1]] = .text(.multiLine)
        }
        switch action.role {
        case .silent:
            guard words.first?.hasPrefix("$") == true else { return }
            declare(TemplatePipeline.evaluate(words, in: scope, include: include))
        case .control(opens: true), .control(opens: false):
            let isElse = words.first == "else"
            if isElse {
                guard dots.count > 1 else { return }
                dots.removeLast()
                scope.dot = dots[dots.count - 1]
                words = words.dropFirst()
            } else if action.role == .control(opens: false) {
                return
            }
            var dot = scope.dot
            if words.first == "if" {
                // Evaluated for what it runs (`TemplateRunLog`); it prints nothing.
                _ = TemplatePipeline.evaluate(words.dropFirst(), in: scope, include: include)
            }
            if let keyword = words.first, keyword == "with" || keyword == "range" {
                words = words.dropFirst()
                let value = TemplatePipeline.evaluate(words, in: scope, include: include)
                // Range elements of a dict or the root print what the whole prints.
                dot = keyword == "with" ? value : (value == .root || { if case .dict = value { return true } else { return false } }()
                    ? .text(value.taint) : value)
                declare(keyword == "range" ? .text(dot.taint.union(.author)) : dot)
            }
            dots.append(dot)
            scope.dot = dot
        case .end:
            guard dots.count > 1 else { return }
            dots.removeLast()
            scope.dot = dots[dots.count - 1]
        default:
            return
        }
    }
}
