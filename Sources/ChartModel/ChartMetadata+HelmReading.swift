import UntrustedYAML
import Yams

extension ChartMetadata {
    /// The most annotations one Chart.yaml may carry. Helm sets no limit; charts use a handful
    /// (Artifact Hub's are about ten), and decoding a mapping costs the square of its size.
    public static let maxAnnotations = 256

    /// What Go gives each field of Helm's `chart.Metadata` (by its JSON name).
    private enum FieldKind {
        case string, strings, bool, annotations, maintainers, dependencies, importValues
    }

    private static let metadataFields: [String: FieldKind] = [
        "name": .string, "home": .string, "sources": .strings, "version": .string, "description": .string,
        "keywords": .strings, "maintainers": .maintainers, "icon": .string, "apiVersion": .string,
        "condition": .string, "tags": .string, "appVersion": .string, "deprecated": .bool,
        "annotations": .annotations, "kubeVersion": .string, "dependencies": .dependencies, "type": .string,
    ]
    private static let maintainerFields: [String: FieldKind] = ["name": .string, "email": .string, "url": .string]
    private static let dependencyFields: [String: FieldKind] = [
        "name": .string, "version": .string, "repository": .string, "condition": .string, "tags": .strings,
        "enabled": .bool, "import-values": .importValues, "alias": .string,
    ]

    /// Refuses a Chart.yaml that Helm would read differently from us, so the index never
    /// advertises a chart other than the one `helm install` gets: keys that are not a field name
    /// but that Go matches to one (`Version`, `verſion`), and unquoted values Go's YAML 1.1 reader
    /// turns into other text (`appVersion: 1.10` is `1.1` to Helm, `name: yes` is `true`).
    static func checkHelmReading(_ root: Node.Mapping) throws(ChartMetadataError) {
        try checkFields(root, of: metadataFields, at: "")
    }

    private static func checkFields(_ mapping: Node.Mapping, of fields: [String: FieldKind], at path: String)
        throws(ChartMetadataError) {
        for (keyNode, value) in mapping {
            // The composer only lets scalar keys through.
            guard let key = keyNode.scalar?.string else { continue }
            if let kind = fields[key] {
                try check(value, as: kind, at: path + key)
                continue
            }
            let folded = GoFieldNameFold.fold(key)
            if let field = fields.keys.first(where: { GoFieldNameFold.fold($0) == folded }) {
                throw ChartMetadataError(.ambiguousKey, "Chart.yaml key '\(path)\(YAMLPrintable.excerpt(key))' is not '\(field)', "
                    + "but Helm reads it as '\(field)'; write the field name exactly")
            }
        }
    }

    private static func check(_ node: Node, as kind: FieldKind, at path: String) throws(ChartMetadataError) {
        switch (kind, node) {
        case (.string, .scalar(let scalar)):
            try checkString(scalar, at: path)
        case (.strings, .sequence(let items)):
            for (index, item) in items.enumerated() {
                if case .scalar(let scalar) = item { try checkString(scalar, at: "\(path)[\(index)]") }
            }
        case (.bool, .scalar(let scalar)) where scalar.style == .plain:
            guard case .bool = GoYAMLPlainScalar.resolve(scalar.string) else {
                throw ChartMetadataError(.ambiguousValue, "Chart.yaml field '\(path)' must be true or false for Helm, "
                    + "not '\(YAMLPrintable.excerpt(scalar.string))'")
            }
        case (.annotations, .mapping(let annotations)):
            guard annotations.count <= maxAnnotations else {
                throw ChartMetadataError(.tooManyAnnotations, "Chart.yaml has \(annotations.count) annotations; at most \(maxAnnotations) are allowed")
            }
            for (keyNode, value) in annotations {
                guard let key = keyNode.scalar else { continue }
                if key.style == .plain, GoYAMLPlainScalar.mapKey(key.string) != key.string {
                    throw ChartMetadataError(.ambiguousValue, "Chart.yaml annotation key '\(YAMLPrintable.excerpt(key.string))' "
                        + "is read by Helm as \(shown(GoYAMLPlainScalar.mapKey(key.string))); quote it")
                }
                if case .scalar(let scalar) = value { try checkString(scalar, at: "\(path).\(YAMLPrintable.excerpt(key.string))") }
            }
        case (.importValues, .sequence(let items)):
            // Helm keeps these untyped and skips an item that is neither a string nor a mapping.
            for (index, item) in items.enumerated() {
                guard case .scalar(let scalar) = item, scalar.style == .plain,
                      GoYAMLPlainScalar.resolve(scalar.string) != .string else { continue }
                throw ChartMetadataError(.ambiguousValue, "Chart.yaml field '\(path)[\(index)]' is the unquoted value "
                    + "'\(YAMLPrintable.excerpt(scalar.string))', which Helm does not read as text; quote it")
            }
        case (.maintainers, .sequence(let items)), (.dependencies, .sequence(let items)):
            for (index, item) in items.enumerated() {
                guard case .mapping(let mapping) = item else { continue }
                try checkFields(mapping, of: kind == .maintainers ? maintainerFields : dependencyFields, at: "\(path)[\(index)].")
            }
        default:
            // Wrong shapes are left to the decoder, which names the field.
            break
        }
    }

    private static func checkString(_ scalar: Node.Scalar, at path: String) throws(ChartMetadataError) {
        guard scalar.style == .plain, !scalar.string.isEmpty else { return }
        let helmReads = GoYAMLPlainScalar.stringFieldValue(scalar.string)
        guard helmReads == scalar.string else {
            throw ChartMetadataError(.ambiguousValue, "Chart.yaml field '\(path)' is the unquoted value "
                + "'\(YAMLPrintable.excerpt(scalar.string))', which Helm reads as \(shown(helmReads)); quote it")
        }
    }

    private static func shown(_ goValue: String?) -> String {
        goValue.map { "'\($0)'" } ?? "null"
    }
}
