import ChartModel

/// A chart archive that passed every check: its metadata and what it contains.
public struct ChartPackage: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Path inside the chart directory, e.g. `templates/deployment.yaml`.
        public let path: String
        public let size: Int64
    }

    public let metadata: ChartMetadata
    /// Chart.yaml exactly as packaged.
    public let chartYAML: String
    public let hasValues: Bool
    public let files: [File]

    /// The file name Helm gives this package.
    public var fileName: String { "\(metadata.name)-\(metadata.version).tgz" }
}
