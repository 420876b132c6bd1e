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

    public init(maxBytes: Int = 256 << 10, maxNodes: Int = 10_000, maxDepth: Int = 32, maxMappingPairs: Int = 1_000) {
        self.maxBytes = maxBytes
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
        self.maxMappingPairs = maxMappingPairs
    }

    /// Chart.yaml and the Chart.yaml half of a prov body.
    public static let chartMetadata = UntrustedYAMLLimits()
}
