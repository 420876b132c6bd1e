/// Why an uploaded archive is refused. The message names the offending entry so that a chart
/// author can fix the package; the code is stable for tests and for the HTTP layer (400).
public struct ChartArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notGzipTar
        case corrupt
        case empty
        case multipleTopLevelDirectories
        case topLevelNameMismatch
        case unsafePath
        case link
        case specialFile
        case duplicateEntry
        case missingChartYAML
        case invalidChartYAML
        case tooManyEntries
        case fileTooLarge
        case totalTooLarge
        case compressionRatio
        case subchartTooDeep
        case notUTF8
        case dependencyNotVendored
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
