import UntrustedYAML
import Yams

/// Reads the kinds of one composed YAML document: its root mapping's `kind`, and those of the
/// mappings in its `items` (a `List`). Anything that could hide a kind from this reading — a key
/// an action printed, a non-string key — is reported as dynamic; anchors, aliases, tags, merge
/// keys, non-scalar and duplicate keys never get here (the composer refuses the document).
struct KindReader {
    struct Found {
        var line: Int
        var kind: String
        var apiVersion: String?
        var isDynamic: Bool
        var isListItem: Bool
    }

    /// In strict mode (text Helm applies) doubts are findings; in a define fragment only plain kinds are.
    let strict: Bool
    private let document: UntrustedYAMLDocument
    private(set) var findings: [Found] = []

    init(strict: Bool, document: UntrustedYAMLDocument) {
        self.strict = strict
        self.document = document
    }

    /// Nodes are named by their index in document order, which is how `document` knows their lines.
    mutating func inspect() {
        guard let root = document.root else { return }
        switch root {
        case .mapping(let mapping):
            inspect(mapping, at: 0, isListItem: false)
        case .sequence(let sequence):
            // Not a manifest, but its mappings are judged like list items rather than trusted.
            inspectItems(sequence, at: 0)
        case .scalar(let scalar):
            if Self.holdsAction(scalar.string) { doubt(at: 0, "{{ … }}", isListItem: false) }
        case .alias:
            doubt(at: 0, "", isListItem: false)
        }
    }

    private mutating func inspectItems(_ sequence: Node.Sequence, at index: Int) {
        var itemIndex = index + 1
        for item in sequence {
            inspectItem(item, at: itemIndex)
            itemIndex += UntrustedYAMLDocument.nodeCount(of: item)
        }
    }

    private mutating func inspectItem(_ node: Node, at index: Int) {
        switch node {
        case .mapping(let mapping): inspect(mapping, at: index, isListItem: true)
        case .scalar(let scalar): if Self.holdsAction(scalar.string) { doubt(at: index, "{{ … }}", isListItem: true) }
        case .sequence, .alias: doubt(at: index, "", isListItem: true)
        }
    }

    private mutating func inspect(_ mapping: Node.Mapping, at index: Int, isListItem: Bool) {
        var apiVersion: String?
        let start = findings.count
        var keyIndex = index + 1
        for (key, value) in mapping {
            let valueIndex = keyIndex + UntrustedYAMLDocument.nodeCount(of: key)
            defer { keyIndex = valueIndex + UntrustedYAMLDocument.nodeCount(of: value) }
            guard case .scalar(let keyScalar) = key else {
                doubt(at: keyIndex, "", isListItem: isListItem)
                continue
            }
            let name = keyScalar.string
            if Self.holdsAction(name) {
                doubt(at: keyIndex, "{{ … }}", isListItem: isListItem)
                continue
            }
            // A plain key that resolves to a number, bool or null is not `kind`.
            if !Self.isDefault(keyScalar.tag, Tag.Name.str) { continue }
            switch name {
            case _ where name.lowercased() == "kind":
                guard case .scalar(let kind) = value else {
                    doubt(at: valueIndex, "", isListItem: isListItem)
                    continue
                }
                let text = kind.string
                let plain = Self.isDefault(kind.tag, Tag.Name.str) && !text.isEmpty && text.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
                } && !Self.holdsAction(text)
                if plain || strict {
                    findings.append(Found(line: document.line(at: keyIndex), kind: Self.holdsAction(text) ? "{{ … }}" : text,
                                          apiVersion: nil, isDynamic: !plain, isListItem: isListItem))
                }
            case "apiVersion":
                if case .scalar(let version) = value { apiVersion = version.string }
            case "items":
                // kubectl flattens nested Lists (cli-runtime's FlattenListVisitor recurses while
                // `items` is a list): items of items are applied too.
                if case .sequence(let items) = value {
                    inspectItems(items, at: valueIndex)
                } else if case .scalar(let scalar) = value, Self.holdsAction(scalar.string) {
                    doubt(at: valueIndex, "{{ … }}", isListItem: true)
                }
            default:
                continue
            }
        }
        if !isListItem, let apiVersion {
            for index in start..<findings.count where !findings[index].isListItem { findings[index].apiVersion = apiVersion }
        }
    }

    private mutating func doubt(at index: Int, _ kind: String, isListItem: Bool) {
        guard strict else { return }
        findings.append(Found(line: document.line(at: index), kind: kind, apiVersion: nil, isDynamic: true, isListItem: isListItem))
    }

    /// No tag, the non-specific `!` (quoted scalars), or the type's own standard tag.
    static func isDefault(_ tag: Tag, _ standard: Tag.Name) -> Bool {
        tag.rawValue.isEmpty || tag.rawValue == "!" || tag.rawValue == standard.rawValue
    }

    static func holdsAction(_ text: String) -> Bool {
        text.contains(TemplateMasker.placeholder) || text.contains(TemplateMasker.unconfined)
    }
}
