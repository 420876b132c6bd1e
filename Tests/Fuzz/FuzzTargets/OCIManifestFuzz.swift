import ChartWardenCore

/// The OCI manifest parser (a client's `PUT /v2/…/manifests/…` body) and the strict JSON reader
/// under it. Invariants: an accepted manifest has exactly one chart layer of the chart media type
/// and the Helm config type, and its bytes are valid strict JSON.
enum OCIManifestFuzz {
    static func run(_ bytes: [UInt8]) {
        _ = try? StrictJSON.parse(bytes)
        guard let manifest = try? HelmChartManifest.parse(bytes, contentType: nil) else { return }
        precondition(manifest.chart.mediaType == HelmChartManifest.chartMediaType)
        precondition(manifest.config.mediaType == HelmChartManifest.configMediaType)
        precondition(manifest.provenance.map { $0.mediaType == HelmChartManifest.provenanceMediaType } ?? true)
        precondition((try? StrictJSON.parse(bytes)) != nil)
    }
}
