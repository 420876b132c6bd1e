import Yams

/// A composed document with the line of each node. Yams' `Mark` cannot be built outside Yams, so
/// lines travel beside the tree: `nodeLines[i]` is the 1-based line of the i-th node in document
/// order (a collection before its items, a mapping's key before its value).
public struct UntrustedYAMLDocument {
    /// The root node, or nil for an empty stream.
    public let root: Node?
    public let nodeLines: [Int]
    /// Tokens that span lines (multi-line scalars, flow collections), for a reader that must know
    /// whether a line boundary falls inside one.
    public var spans: [Span] = []

    /// Lines `firstLine...lastLine` (1-based) hold one token; `isBlockScalar`: a `|`/`>` scalar,
    /// whose header is on `firstLine`.
    public struct Span: Sendable, Equatable {
        public var firstLine: Int
        public var lastLine: Int
        public var isBlockScalar: Bool
    }

    public init(root: Node?, nodeLines: [Int], spans: [Span] = []) {
        self.root = root
        self.nodeLines = nodeLines
        self.spans = spans
    }

    /// How many nodes `node` spans in document order (itself and everything under it), to step
    /// from a node's index in `nodeLines` to its next sibling's.
    public static func nodeCount(of node: Node) -> Int {
        switch node {
        case .scalar, .alias:
            return 1
        case .sequence(let sequence):
            return sequence.reduce(1) { $0 + nodeCount(of: $1) }
        case .mapping(let mapping):
            return mapping.reduce(1) { $0 + nodeCount(of: $1.key) + nodeCount(of: $1.value) }
        }
    }

    /// The line of the node at `index` in document order, or 1 when there is none.
    public func line(at index: Int) -> Int {
        nodeLines.indices.contains(index) ? nodeLines[index] : 1
    }
}
