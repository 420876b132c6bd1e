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
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
