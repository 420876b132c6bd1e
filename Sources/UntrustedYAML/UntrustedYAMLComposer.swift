import CYaml
import Yams

/// Builds a node tree from libyaml events, refusing what untrusted YAML must not carry before it
/// is composed: anchors and aliases (the billion-laughs bombs, and aliases as keys, whose
/// duplicate check would hash the expanded tree), tags, merge keys, non-scalar keys, duplicate
/// keys, more than one document, and trees over the node, depth or pairs-per-mapping cap. Helm's Chart.yaml and
/// prov bodies need none of these. Pure: it sees events, not bytes or I/O.
struct UntrustedYAMLComposer {
    /// An open collection. A struct mutated in place through the stack's subscript, so
    /// appending never copies what was composed so far (an enum payload would be).
    private struct Frame {
        let isMapping: Bool
        var items: [Node] = []
        var pairs: [(Node, Node)] = []
        var pendingKey: Node?
        var keys: Set<String> = []

        var awaitsKey: Bool { isMapping && pendingKey == nil }
    }

    private let limits: UntrustedYAMLLimits
    private var stack: [Frame] = []
    private var nodeCount = 0
    private var documentCount = 0
    private(set) var root: Node?
    /// The 1-based line of every node, in the order the events came (a collection, then its
    /// items; a mapping's key before its value): what `UntrustedYAMLDocument.nodeLines` promises.
    private(set) var nodeLines: [Int] = []
    /// Tokens spanning several lines: multi-line scalars and flow collections.
    private(set) var spans: [UntrustedYAMLDocument.Span] = []
    /// Start lines of the open collections (flow ones only; block ones are nil).
    private var flowStarts: [Int?] = []

    init(limits: UntrustedYAMLLimits) {
        self.limits = limits
    }

    /// Takes one event; returns true once the stream has ended.
    mutating func consume(_ event: yaml_event_t) throws(UntrustedYAMLError) -> Bool {
        let line = event.start_mark.line + 1
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            guard documentCount == 1 else {
                throw UntrustedYAMLError(.multipleDocuments, "only one YAML document is allowed; another starts at line \(line)", line: line)
            }
        case YAML_ALIAS_EVENT:
            throw UntrustedYAMLError(.alias, "YAML aliases are not allowed (\(place(line)))", line: line)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            try admitNode(anchor: scalar.anchor, tag: scalar.tag, line: line)
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            // As Yams's own parser tags them: quoted scalars are strings, plain ones are resolved.
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            let style = Node.Scalar.Style(rawValue: numericCast(scalar.style.rawValue)) ?? .any
            recordSpan(from: event, isBlockScalar: scalar.style == YAML_LITERAL_SCALAR_STYLE || scalar.style == YAML_FOLDED_SCALAR_STYLE)
            try deliver(.scalar(.init(value, plain ? .implicit : Tag(.str), style)), plain: plain, line: line)
        case YAML_SEQUENCE_START_EVENT:
            try admitNode(anchor: event.data.sequence_start.anchor, tag: event.data.sequence_start.tag, line: line)
            try push(Frame(isMapping: false), line: line)
            flowStarts.append(event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE ? line : nil)
        case YAML_MAPPING_START_EVENT:
            try admitNode(anchor: event.data.mapping_start.anchor, tag: event.data.mapping_start.tag, line: line)
            try push(Frame(isMapping: true), line: line)
            flowStarts.append(event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE ? line : nil)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            if let start = flowStarts.popLast() ?? nil, event.end_mark.line + 1 > start {
                spans.append(.init(firstLine: start, lastLine: event.end_mark.line + 1, isBlockScalar: false))
            }
            try deliver(frame.isMapping ? .mapping(.init(frame.pairs)) : .sequence(.init(frame.items)), plain: false, line: line)
        default:
            break
        }
        return false
    }

    /// A token's lines: from its start to its end mark (an end mark at column 0 ends the line before).
    private mutating func recordSpan(from event: yaml_event_t, isBlockScalar: Bool) {
        let first = event.start_mark.line + 1
        var last = event.end_mark.line + 1
        if event.end_mark.column == 0, last > first { last -= 1 }
        if last > first { spans.append(.init(firstLine: first, lastLine: last, isBlockScalar: isBlockScalar)) }
    }

    private mutating func admitNode(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
                                    line: Int) throws(UntrustedYAMLError) {
        if anchor != nil {
            throw UntrustedYAMLError(.anchor, "YAML anchors are not allowed (\(place(line)))", line: line)
        }
        if tag != nil {
            throw UntrustedYAMLError(.tag, "YAML tags are not allowed (\(place(line)))", line: line)
        }
        nodeCount += 1
        guard nodeCount <= limits.maxNodes else {
            throw UntrustedYAMLError(.tooManyNodes, "the YAML document has more than \(limits.maxNodes) nodes (\(place(line)))", line: line)
        }
        nodeLines.append(line)
    }

    private mutating func push(_ frame: Frame, line: Int) throws(UntrustedYAMLError) {
        if stack.last?.awaitsKey == true {
            throw UntrustedYAMLError(.nonScalarKey, "YAML mapping keys must be scalars (\(place(line)))", line: line)
        }
        guard stack.count < limits.maxDepth else {
            throw UntrustedYAMLError(.tooDeep, "the YAML document is nested deeper than \(limits.maxDepth) levels (\(place(line)))", line: line)
        }
        stack.append(frame)
    }

    private mutating func deliver(_ node: Node, plain: Bool, line: Int) throws(UntrustedYAMLError) {
        guard let top = stack.indices.last else {
            root = node
            return
        }
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            stack[top].pairs.append((key, node))
            stack[top].pendingKey = nil
        } else {
            // push() refuses collections here, so a key is always a scalar.
            let key = node.scalar?.string ?? ""
            if plain && key == "<<" {
                throw UntrustedYAMLError(.mergeKey, "YAML merge keys ('<<') are not allowed (\(place(line)))", line: line)
            }
            // Yams decodes a `[String: String]` by looking each key up in the pair list: the cap
            // keeps that quadratic walk small.
            guard stack[top].pairs.count < limits.maxMappingPairs else {
                throw UntrustedYAMLError(.tooManyPairs, "a YAML mapping has more than \(limits.maxMappingPairs) keys (\(place(line)))", line: line)
            }
            guard !checksDuplicates(at: top) || stack[top].keys.insert(key).inserted else {
                throw UntrustedYAMLError(.duplicateKey, "duplicate key '\(YAMLPrintable.excerpt(key))' (\(place(line)))", line: line)
            }
            stack[top].pendingKey = node
        }
    }

    /// Whether the mapping at `top` of the stack may not repeat a key (`UntrustedYAMLLimits.duplicateKeys`).
    private func checksDuplicates(at top: Int) -> Bool {
        switch limits.duplicateKeys {
        case .everywhere: return true
        case .kindBearing: return top == 0 || (top <= 2 && !stack[top - 1].isMapping)
        }
    }

    /// Where the parser is, as a key path and a line: `at dependencies[0].name, line 12`.
    private func place(_ line: Int) -> String {
        var path = ""
        for frame in stack {
            if !frame.isMapping {
                path += "[\(frame.items.count)]"
            } else if let key = frame.pendingKey?.scalar?.string {
                path += (path.isEmpty ? "" : ".") + YAMLPrintable.excerpt(key)
            }
        }
        return path.isEmpty ? "line \(line)" : "at \(path), line \(line)"
    }

}
