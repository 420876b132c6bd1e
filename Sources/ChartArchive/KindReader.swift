import Yams

/// Reads the kinds of one composed YAML document: its root mapping's `kind`, and those of the
/// mappings in its `items` (a `List`). Anything that could hide a kind from this reading — a key
/// an action printed, a merge key, a tag, an alias, a non-string key — is reported as dynamic.
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
    private(set) var findings: [Found] = []

    init(strict: Bool) {
        self.strict = strict
    }

    mutating func inspect(root: Node) {
        switch root {
        case .mapping(let mapping):
            inspect(mapping, isListItem: false)
        case .sequence(let sequence):
            // Not a manifest, but its mappings are judged like list items rather than trusted.
            for item in sequence { inspectItem(item) }
        case .scalar(let scalar):
            if Self.holdsAction(scalar.string) { doubt(scalar.mark, "{{ … }}", isListItem: false) }
        case .alias(let alias):
            doubt(alias.mark, "", isListItem: false)
        }
    }

    private mutating func inspectItem(_ node: Node) {
        switch node {
        case .mapping(let mapping): inspect(mapping, isListItem: true)
        case .scalar(let scalar): if Self.holdsAction(scalar.string) { doubt(scalar.mark, "{{ … }}", isListItem: true) }
        case .sequence(let sequence): doubt(sequence.mark, "", isListItem: true)
        case .alias(let alias): doubt(alias.mark, "", isListItem: true)
        }
    }

    private mutating func inspect(_ mapping: Node.Mapping, isListItem: Bool) {
        if !Self.isDefault(mapping.tag, Tag.Name.map) { doubt(mapping.mark, "", isListItem: isListItem) }
        var apiVersion: String?
        let start = findings.count
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                doubt(key.mark, "", isListItem: isListItem)
                continue
            }
            let name = keyScalar.string
            if Self.holdsAction(name) || (name == "<<" && keyScalar.style == .plain) {
                doubt(keyScalar.mark, name == "<<" ? "<<" : "{{ … }}", isListItem: isListItem)
                continue
            }
            if !Self.isDefault(keyScalar.tag, Tag.Name.str) {
                if keyScalar.style != .plain { doubt(keyScalar.mark, "", isListItem: isListItem) }
                continue
            }
            switch name {
            case _ where name.lowercased() == "kind":
                guard case .scalar(let kind) = value else {
                    doubt(value.mark ?? keyScalar.mark, "", isListItem: isListItem)
                    continue
                }
                let text = kind.string
                let plain = Self.isDefault(kind.tag, Tag.Name.str) && !text.isEmpty && text.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
                } && !Self.holdsAction(text)
                if plain || strict {
                    findings.append(Found(line: keyScalar.mark?.line ?? 1, kind: Self.holdsAction(text) ? "{{ … }}" : text,
                                          apiVersion: nil, isDynamic: !plain, isListItem: isListItem))
                }
            case "apiVersion":
                if case .scalar(let version) = value { apiVersion = version.string }
            case "items" where !isListItem:
                if case .sequence(let items) = value {
                    for item in items { inspectItem(item) }
                } else if case .scalar(let scalar) = value, Self.holdsAction(scalar.string) {
                    doubt(scalar.mark, "{{ … }}", isListItem: true)
                }
            default:
                continue
            }
        }
        if !isListItem, let apiVersion {
            for index in start..<findings.count where !findings[index].isListItem { findings[index].apiVersion = apiVersion }
        }
    }

    private mutating func doubt(_ mark: Mark?, _ kind: String, isListItem: Bool) {
        guard strict else { return }
        findings.append(Found(line: mark?.line ?? 1, kind: kind, apiVersion: nil, isDynamic: true, isListItem: isListItem))
    }

    /// No tag, the non-specific `!` (quoted scalars), or the type's own standard tag.
    static func isDefault(_ tag: Tag, _ standard: Tag.Name) -> Bool {
        tag.rawValue.isEmpty || tag.rawValue == "!" || tag.rawValue == standard.rawValue
    }

    static func holdsAction(_ text: String) -> Bool {
        text.contains(TemplateMasker.placeholder) || text.contains(TemplateMasker.unconfined)
    }
}
