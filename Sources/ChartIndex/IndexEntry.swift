import ChartModel

/// One chart version as it appears in index.yaml: its Chart.yaml fields plus what the repository adds.
public struct IndexEntry: Sendable, Equatable {
    public var metadata: ChartMetadata
    /// SHA-256 of the `.tgz`, 64 lowercase hex characters.
    public var digest: String
    /// RFC 3339 with fractional seconds, as Helm writes `created`.
    public var created: String
    public var urls: [String]

    public init(metadata: ChartMetadata, digest: String, created: String, urls: [String]) {
        self.metadata = metadata
        self.digest = digest
        self.created = created
        self.urls = urls
    }

    public var name: String { metadata.name }
    public var version: String { metadata.version }

    /// The file name Helm expects for a packaged chart.
    public static func fileName(name: String, version: String) -> String { "\(name)-\(version).tgz" }

    /// `charts/N-V.tgz` relative to the repository, or absolute under `baseURL` when one is configured.
    public static func chartURL(name: String, version: String, baseURL: String?) -> String {
        let relative = "charts/" + fileName(name: name, version: version)
        guard let baseURL, !baseURL.isEmpty else { return relative }
        return baseURL.hasSuffix("/") ? baseURL + relative : baseURL + "/" + relative
    }
}

extension IndexEntry {
    /// The entry as one JSON object with exactly the index's fields (the ChartMuseum API's
    /// "chartVersion").
    public func renderJSON() -> [UInt8] {
        IndexJSON.encode(self)
    }
}
