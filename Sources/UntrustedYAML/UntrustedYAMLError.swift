/// Why untrusted YAML was refused; `message` names the place (key path and line) for the uploader.
public struct UntrustedYAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case tooLarge
        case syntax
        case anchor
        case alias
        case tag
        case nonScalarKey
        case mergeKey
        case duplicateKey
        case tooManyNodes
        case tooManyPairs
        case tooDeep
        case multipleDocuments
        case outOfMemory
    }

    public let code: Code
    public let message: String
    /// The 1-based line where the refusal happened, when there is one (the scanner reports it).
    public let line: Int?

    public init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String { message }
}
