import ChartModel

/// One chart version as the index and the API serve it, rendered once: its list item in the
/// repository's index format and, for a YAML repository, its JSON object for the API (in a JSON
/// repository the item is that object). This is what a repository keeps per version and what the
/// store keeps beside the row (`StoredIndexFragment`), so a start joins stored bytes instead of
/// decoding every row's metadata and rendering it.
public struct RenderedVersion: Sendable {
    public let name: String
    public let version: String
    /// A YAML list item (`  - apiVersion: ...`) or a JSON object, as the format says.
    public let item: [UInt8]
    /// The JSON object when the format is YAML; nil when `item` is it.
    public let apiJSON: [UInt8]?

    /// Renders `entry` (validated metadata) in `format`.
    public init(entry: IndexEntry, format: RepositoryIndex.Format) {
        name = entry.name
        version = entry.version
        let value = IndexValue(entry: entry)
        let json = IndexJSON.encode(value)
        switch format {
        case .yaml:
            var yaml: [UInt8] = []
            IndexWriter.appendYAMLListItem(value, indent: 2, to: &yaml)
            item = yaml
            apiJSON = json
        case .json:
            item = json
            apiJSON = nil
        }
    }

    /// Bytes rendered earlier (read back from the store).
    public init(name: String, version: String, item: [UInt8], apiJSON: [UInt8]?) {
        self.name = name
        self.version = version
        self.item = item
        self.apiJSON = apiJSON
    }

    /// Bumped whenever rendering changes what it writes for the same inputs: stored renderings
    /// made by another renderer version are rendered again at start.
    public static let rendererVersion = "1"

    /// What a stored rendering must have been made from to be served as is: the renderer, the
    /// format and the URL base (the repository's settings), and the row's digest and creation time
    /// (a row replaced in place gets new ones).
    public static func renderKey(format: RepositoryIndex.Format, baseURL: String?, digest: String,
                                 createdSeconds: Double) -> String {
        rendererVersion + "|" + format.rawValue + "|" + (baseURL ?? "") + "|" + digest + "|"
            + String(createdSeconds.bitPattern, radix: 16)
    }
}
