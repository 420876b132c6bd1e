import CYaml

/// Owns a libyaml parser and a private copy of its input, and hands out one event at a time.
/// Events are the level below composition: nothing is expanded or hashed before the composer
/// has looked at it.
final class LibYAMLEventParser {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(_ text: String) {
        input = .allocate(capacity: max(1, text.utf8.count))
        _ = input.initialize(from: text.utf8)
        yaml_parser_initialize(&parser)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, input.baseAddress, text.utf8.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// The next event, which the caller must release with `yaml_event_delete`.
    func next() throws(UntrustedYAMLError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            let mark = parser.problem_mark
            throw UntrustedYAMLError(.syntax, "YAML syntax error at line \(mark.line + 1), column \(mark.column + 1): \(problem)")
        }
        return event
    }
}
