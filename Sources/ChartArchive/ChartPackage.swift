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
    /// Every kind the templates and CRDs of this chart and its subcharts can produce, as read by
    /// `ManifestKindScanner` while the archive was unpacked.
    public let manifestKinds: [ManifestKindScanner.Finding]
    /// How many template and CRD files were scanned (subcharts included).
    public let manifestFileCount: Int

    public init(metadata: ChartMetadata, chartYAML: String, hasValues: Bool, files: [File],
                manifestKinds: [ManifestKindScanner.Finding] = [], manifestFileCount: Int = 0) {
        self.metadata = metadata
        self.chartYAML = chartYAML
        self.hasValues = hasValues
        self.files = files
        self.manifestKinds = manifestKinds
        self.manifestFileCount = manifestFileCount
    }

    /// The file name Helm gives this package.
    public var fileName: String { "\(metadata.name)-\(metadata.version).tgz" }
}
