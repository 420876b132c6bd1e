import CYaml
import Yams

/// The one way to read YAML an uploader wrote: Chart.yaml (`ChartMetadata.parse`) and the
/// Chart.yaml half of prov bodies (`HelmProvenanceBody`), on the server and in the `verify` CLI,
/// and the masked template documents the content scanner reads (`ManifestKindScanner`).
/// Never `Yams.load`/`Yams.compose` on such text: Yams expands aliases and checks duplicate keys
/// while composing, and force-unwraps on non-scalar keys.
public enum UntrustedYAML {
    /// The document's root node, or nil for an empty stream. Quoted scalars carry the `str` tag
    /// and plain ones resolve as usual, exactly as Yams's own parser would tag them, so the tree
    /// decodes with `YAMLDecoder` like before.
    public static func compose(_ text: String, limits: UntrustedYAMLLimits = .chartMetadata)
        throws(UntrustedYAMLError) -> Node? {
        try composeDocument(text, limits: limits).root
    }

    /// `compose`, with the line of every node (the content scanner reports lines).
    public static func composeDocument(_ text: String, limits: UntrustedYAMLLimits)
        throws(UntrustedYAMLError) -> UntrustedYAMLDocument {
        guard text.utf8.count <= limits.maxBytes else {
            throw UntrustedYAMLError(.tooLarge, "the YAML text is larger than \(limits.maxBytes) bytes", line: 1)
        }
        let parser = try LibYAMLEventParser(text)
        var composer = UntrustedYAMLComposer(limits: limits)
        while true {
            var event = try parser.next()
            defer { yaml_event_delete(&event) }
            if try composer.consume(event) { return UntrustedYAMLDocument(root: composer.root, nodeLines: composer.nodeLines, spans: composer.spans) }
        }
    }
}
