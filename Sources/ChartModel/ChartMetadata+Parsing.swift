import UntrustedYAML
import Yams

extension ChartMetadata {
    /// Chart names end up in URLs (`charts/N-V.tgz`) and file names, so they are held to the
    /// characters Helm's own tooling produces; `.`/`..`, slashes and `+` can never pass.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...250).contains(name.utf8.count), name != ".", name != ".." else { return false }
        var first = true
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                if first { return false }
            default:
                return false
            }
            first = false
        }
        return true
    }

    /// Parses and validates Chart.yaml text. Unknown fields are dropped, as Helm drops them; a
    /// key or value Helm would read differently is refused (`checkHelmReading`).
    public static func parse(chartYAML text: String) throws(ChartMetadataError) -> ChartMetadata {
        let node: Node?
        do {
            node = try UntrustedYAML.compose(text, limits: .chartMetadata)
        } catch {
            throw ChartMetadataError(.invalidYAML, "Chart.yaml is not valid YAML for a chart: \(error.message)")
        }
        guard let node, let mapping = node.mapping else {
            throw ChartMetadataError(.invalidYAML, "Chart.yaml must be a YAML mapping")
        }
        try checkHelmReading(mapping)
        for field in ["apiVersion", "name", "version"] {
            guard let value = mapping[field]?.scalar?.string, !value.isEmpty else {
                throw ChartMetadataError(.missingField, "Chart.yaml is missing the required field '\(field)'")
            }
        }
        // Annotations are read from the pairs directly: Yams decodes a `[String: String]` with a
        // linear lookup per key (quadratic), and looks a key up as an untagged node, so a quoted
        // key such as "010" would not find itself.
        let isAnnotations = { (pair: (key: Node, value: Node)) in pair.key.scalar?.string == "annotations" }
        let others = Node.mapping(Node.Mapping(mapping.filter { !isAnnotations($0) }.map { ($0.key, $0.value) }))
        var metadata: ChartMetadata
        do {
            metadata = try YAMLDecoder().decode(ChartMetadata.self, from: others)
            metadata.annotations = try mapping.first(where: isAnnotations).flatMap { try annotations(from: $0.value) }
        } catch let error as ChartMetadataError {
            throw error
        } catch let error as DecodingError {
            throw ChartMetadataError(.invalidYAML, "Chart.yaml has a field of the wrong type: \(Self.describe(error))")
        } catch {
            throw ChartMetadataError(.invalidYAML, "Chart.yaml could not be read: \(error)")
        }
        try metadata.validate()
        return metadata
    }

    /// The `annotations` mapping as Helm reads it: string keys to string values; null is none.
    private static func annotations(from node: Node) throws(ChartMetadataError) -> [String: String]? {
        switch node {
        case .scalar(let scalar) where scalar.style == .plain && GoYAMLPlainScalar.resolve(scalar.string) == .null:
            return nil
        case .mapping(let pairs):
            var annotations: [String: String] = [:]
            for (key, value) in pairs {
                // The composer only lets unique scalar keys through.
                guard let key = key.scalar?.string, let value = value.scalar?.string else {
                    throw ChartMetadataError(.invalidYAML, "Chart.yaml has a field of the wrong type: annotations: "
                        + "each annotation must be a string")
                }
                annotations[key] = value
            }
            return annotations
        default:
            throw ChartMetadataError(.invalidYAML, "Chart.yaml has a field of the wrong type: annotations: "
                + "expected a mapping of strings to strings")
        }
    }

    public func validate() throws(ChartMetadataError) {
        guard apiVersion == "v1" || apiVersion == "v2" else {
            throw ChartMetadataError(.unsupportedAPIVersion, "Chart.yaml apiVersion '\(apiVersion)' is not supported (v1 or v2)")
        }
        guard Self.isValidName(name) else {
            throw ChartMetadataError(.invalidName, "chart name '\(name)' is invalid: use letters, digits, '-', '_' or '.', starting with a letter or digit")
        }
        guard SemanticVersion(version) != nil else {
            throw ChartMetadataError(.invalidVersion, "chart version '\(version)' is not a SemVer 2 version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])")
        }
        if let type, type != "application", type != "library" {
            throw ChartMetadataError(.invalidType, "chart type '\(type)' must be application or library")
        }
        for key in (annotations ?? [:]).keys {
            try Self.validateAnnotationKey(key)
        }
        var dependencyKeys = Set<String>()
        for dependency in dependencies ?? [] {
            guard !dependency.name.isEmpty else {
                throw ChartMetadataError(.invalidDependency, "a dependency has no name")
            }
            let key = dependency.alias ?? dependency.name
            guard dependencyKeys.insert(key).inserted else {
                throw ChartMetadataError(.invalidDependency, "more than one dependency with name or alias '\(key)'")
            }
        }
    }

    /// The longest annotation key accepted, in Unicode scalars. index.yaml writes each key as a
    /// double-quoted implicit key, and Go's YAML parser (so Helm) refuses the whole file when one
    /// spans more than 1,024 characters; quoting and escaping `"` or `\` at most double a key.
    public static let maxAnnotationKeyLength = 500

    /// A key that would break index.yaml for every client of the repository is refused here, at upload.
    static func validateAnnotationKey(_ key: String) throws(ChartMetadataError) {
        let shown = YAMLPrintable.excerpt(key)
        guard key.unicodeScalars.count <= maxAnnotationKeyLength else {
            throw ChartMetadataError(.invalidAnnotation, "annotation key '\(shown)' is \(key.unicodeScalars.count) characters long; "
                + "index.yaml allows at most \(maxAnnotationKeyLength)")
        }
        guard key.unicodeScalars.allSatisfy(YAMLPrintable.fitsInKey) else {
            throw ChartMetadataError(.invalidAnnotation, "annotation key '\(shown.debugDescription.dropFirst().dropLast())' "
                + "contains a control character, line break or other character YAML cannot carry in a key")
        }
    }

    public var semanticVersion: SemanticVersion {
        // validate() guarantees the version parses for every metadata that reached the store.
        SemanticVersion(version)!
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context),
             let .keyNotFound(_, context), let .dataCorrupted(context):
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
