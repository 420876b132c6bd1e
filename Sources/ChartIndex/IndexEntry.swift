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
        url(relativePath: "charts/" + fileName(name: name, version: version), baseURL: baseURL)
    }

    /// A `/`-separated path relative to the index, as is or joined under `baseURL` (Helm's `URLJoin`).
    public static func url(relativePath: String, baseURL: String?) -> String {
        guard let baseURL, !baseURL.isEmpty else { return relativePath }
        return baseURL.hasSuffix("/") ? baseURL + relativePath : baseURL + "/" + relativePath
    }
}

extension IndexEntry {
    /// The entry as one JSON object with exactly the index's fields (the ChartMuseum API's
    /// "chartVersion").
    public func renderJSON() -> [UInt8] {
        IndexJSON.encode(self)
    }
}
