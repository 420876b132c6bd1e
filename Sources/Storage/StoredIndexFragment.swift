/// A chart version's index rendering as stored beside its row (`index_fragments`): the list item
/// in its repository's index format, the API's JSON object when that format is YAML, and the key
/// of what it was rendered from. The store never interprets the bytes; a key that is not the one
/// the repository expects (another renderer, format, base URL, or a row replaced in place) makes
/// the start render the row again and store the new bytes.
public struct StoredIndexFragment: Sendable, Equatable {
    public var renderKey: String
    public var item: [UInt8]
    public var apiJSON: [UInt8]?

    public init(renderKey: String, item: [UInt8], apiJSON: [UInt8]?) {
        self.renderKey = renderKey
        self.item = item
        self.apiJSON = apiJSON
    }
}
