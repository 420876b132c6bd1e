import ChartModel
import Foundation
import OpenSSLSupport
import Storage

/// A manifest a client pushed, handed to `Ingest.upload` with the chart and prov layers it
/// names: checked against the chart read from the archive, and stored byte for byte with the
/// version it publishes.
package struct OCIPushedManifest: Sendable {
    package let bytes: [UInt8]
    package let digest: SHA256Digest
    package let manifest: HelmChartManifest
    package let address: OCIAddress
    /// The version the tag names; nil when the manifest was pushed by digest.
    package let taggedVersion: String?
    package let config: [UInt8]

    /// Config blobs are Chart.yaml as JSON: a few KiB.
    package static let maxConfigBytes = 64 * 1024

    /// The push must name the chart it carries: the path's chart name, the tag's version, and a
    /// config whose `name` and `version` are the archive's (Helm reads them from the config).
    package func check(against metadata: ChartMetadata) throws(ServiceError) {
        guard metadata.name == address.chart else {
            throw ServiceError(.badRequest, "the chart layer holds chart \(metadata.name), not \(address.chart) as the name says")
        }
        if let taggedVersion, taggedVersion != metadata.version {
            throw ServiceError(.badRequest, "tag \(OCITag.tag(forVersion: taggedVersion)) does not match the chart's version "
                + "\(metadata.version) (tag \(OCITag.tag(forVersion: metadata.version)))")
        }
        try HelmChartConfig.check(config, matches: metadata)
    }

    /// Whether this push may stand beside `current`, the manifest the tag already names for the
    /// same chart and prov bytes. The tag stays on `current` either way; the new manifest is kept
    /// only for pulls by its digest. It is accepted when it differs from `current` at most in the
    /// creation time Helm stamps (`org.opencontainers.image.created`), or when `current` was
    /// generated for a ChartMuseum upload (the config was checked against Chart.yaml already).
    func mayJoin(_ current: OCIManifestRecord) -> Bool {
        if current.generated || current.content == Data(bytes) { return true }
        guard let stored = try? HelmChartManifest.parse(Array(current.content), contentType: nil) else { return false }
        return stored.withoutCreationTime == manifest.withoutCreationTime
    }

    func record(for stored: ChartVersionRecord) -> OCIManifestRecord {
        OCIManifestRecord(repository: stored.repository, name: stored.name, version: stored.version, digest: digest.hex,
                          mediaType: HelmChartManifest.manifestMediaType, content: Data(bytes),
                          configDigest: manifest.config.digest.hex, chartDigest: manifest.chart.digest.hex,
                          provenanceDigest: manifest.provenance?.digest.hex, generated: false, created: Date())
    }
}
