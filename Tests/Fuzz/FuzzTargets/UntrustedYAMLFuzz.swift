import UntrustedYAML

/// The composer for YAML uploaders write (Chart.yaml, prov bodies, masked templates), under
/// the Chart.yaml limits and under tight ones, so the limit checks themselves are reached.
enum UntrustedYAMLFuzz {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? UntrustedYAML.composeDocument(text, limits: .chartMetadata)
        _ = try? UntrustedYAML.compose(text, limits: UntrustedYAMLLimits(maxBytes: 4_096, maxNodes: 64, maxDepth: 4,
                                                                        maxMappingPairs: 8))
    }
}
