/// Caps on a YAML document read from an uploader. Without aliases the tree is at most linear in
/// the text, so these bound memory and time; they sit far above what Helm charts need (a Bitnami
/// Chart.yaml is 2–5 KB, about 100 nodes, 4 levels deep).
public struct UntrustedYAMLLimits: Sendable, Equatable {
    /// Bytes of YAML text.
    public var maxBytes: Int
    /// Scalars, sequences and mappings together.
    public var maxNodes: Int
    /// Nesting of sequences and mappings.
    public var maxDepth: Int
    /// Keys in one mapping. Decoding a `[String: String]` (annotations) with Yams looks up every
    /// key in the pair list, so the cost grows with the square of this.
    public var maxMappingPairs: Int
    /// Which mappings may not repeat a key.
    public var duplicateKeys: DuplicateKeyScope

    public enum DuplicateKeyScope: Sendable, Equatable {
        /// Every mapping (Chart.yaml, prov bodies: what Yams decodes).
        case everywhere
        /// Only the root mapping and the mappings that are items of a root-level sequence (or of
        /// a sequence under the root mapping, a List's `items`): where a manifest's kind is read.
        /// A template's `if`/`else` branches may repeat keys deeper, which no kind depends on.
        case kindBearing
    }

    public init(maxBytes: Int = 256 << 10, maxNodes: Int = 10_000, maxDepth: Int = 32, maxMappingPairs: Int = 1_000,
                duplicateKeys: DuplicateKeyScope = .everywhere) {
        self.maxBytes = maxBytes
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
        self.maxMappingPairs = maxMappingPairs
        self.duplicateKeys = duplicateKeys
    }

    /// Chart.yaml and the Chart.yaml half of a prov body.
    public static let chartMetadata = UntrustedYAMLLimits()
}
