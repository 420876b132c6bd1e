import ChartWardenCore

/// The OCI manifest parser (a client's `PUT /v2/…/manifests/…` body) and the strict JSON reader
/// under it. Invariants: an accepted manifest has exactly one chart layer of the chart media type
/// and the Helm config type, and its bytes are valid strict JSON. An input with a NUL byte is
/// `Content-Type` text before it and the body after it, so the request's header is fuzzed too
/// (an empty or `;` Content-Type once trapped the server).
enum OCIManifestFuzz {
    static func run(_ input: [UInt8]) {
        var bytes = input
        var contentType: String?
        if let nul = input.firstIndex(of: 0) {
            contentType = String(decoding: input[..<nul], as: UTF8.self)
            bytes = Array(input[(nul + 1)...])
        }
        _ = try? StrictJSON.parse(bytes)
        guard let manifest = try? HelmChartManifest.parse(bytes, contentType: contentType) else { return }
        precondition(manifest.chart.mediaType == HelmChartManifest.chartMediaType)
        precondition(manifest.config.mediaType == HelmChartManifest.configMediaType)
        precondition(manifest.provenance.map { $0.mediaType == HelmChartManifest.provenanceMediaType } ?? true)
        precondition((try? StrictJSON.parse(bytes)) != nil)
    }
}
