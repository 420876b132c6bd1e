import CYaml

/// Owns a libyaml parser and a private copy of its input, and hands out one event at a time.
/// Events are the level below composition: nothing is expanded or hashed before the composer
/// has looked at it.
final class LibYAMLEventParser {
    /// On the heap, never moved: libyaml keeps pointers into the parser struct (its string input
    /// reader), which a stored property of a class does not promise to keep stable.
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(_ text: String) throws(UntrustedYAMLError) {
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            throw UntrustedYAMLError(.outOfMemory, "the YAML parser could not be initialized")
        }
        input = .allocate(capacity: max(1, text.utf8.count))
        _ = input.initialize(from: text.utf8)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, text.utf8.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event, which the caller must release with `yaml_event_delete`.
    func next() throws(UntrustedYAMLError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            let mark = parser.pointee.problem_mark
            throw UntrustedYAMLError(.syntax, "YAML syntax error at line \(mark.line + 1), column \(mark.column + 1): \(problem)",
                                     line: mark.line + 1)
        }
        return event
    }
}
