/// Why a Chart.yaml cannot be accepted; `message` is written for the person who uploaded it.
public struct ChartMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidYAML
        case missingField
        case unsupportedAPIVersion
        case invalidName
        case invalidVersion
        case invalidType
        case invalidDependency
        case invalidAnnotation
        case tooManyAnnotations
        /// A key Helm matches to a field it is not named after (`Version`, `verſion`).
        case ambiguousKey
        /// An unquoted value Helm's YAML 1.1 reader turns into other text (`1.10` → `1.1`).
        case ambiguousValue
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
