import Foundation
import OpenSSLSupport
import Storage

/// The manifest ChartWarden writes, once, for a chart that came through the ChartMuseum API, so
/// it can be pulled over OCI. Deterministic (no creation time): generating it twice gives the
/// same bytes and digest.
struct GeneratedManifest: Encodable {
    struct Descriptor: Encodable {
        let mediaType: String
        let digest: String
        let size: Int64
    }

    let schemaVersion = 2
    let mediaType = HelmChartManifest.manifestMediaType
    let config: Descriptor
    let layers: [Descriptor]
    let annotations: [String: String]

    /// The manifest row for `record`, whose config blob is the stored Chart.yaml JSON
    /// (`record.metadata`) and whose prov, if any, is `provenanceSize` bytes. Pure: the caller
    /// stores the config blob.
    static func make(for record: ChartVersionRecord, provenanceSize: Int64?) throws -> OCIManifestRecord {
        let config = Array(record.metadata.utf8)
        let configDigest = SHA256Hasher.hash(config)
        var layers = [Descriptor(mediaType: HelmChartManifest.chartMediaType, digest: "sha256:\(record.digest)",
                                 size: record.size)]
        if let provenance = record.provenanceDigest, let provenanceSize {
            layers.append(Descriptor(mediaType: HelmChartManifest.provenanceMediaType, digest: "sha256:\(provenance)",
                                     size: provenanceSize))
        }
        let manifest = GeneratedManifest(
            config: Descriptor(mediaType: HelmChartManifest.configMediaType, digest: OCIDigest.string(configDigest),
                               size: Int64(config.count)),
            layers: layers,
            annotations: ["org.opencontainers.image.title": record.name, "org.opencontainers.image.version": record.version])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(manifest))
        return OCIManifestRecord(repository: record.repository, name: record.name, version: record.version,
                                 digest: SHA256Hasher.hash(bytes).hex, mediaType: HelmChartManifest.manifestMediaType,
                                 content: Data(bytes), configDigest: configDigest.hex, chartDigest: record.digest,
                                 provenanceDigest: record.provenanceDigest, generated: true, created: Date())
    }

    /// What a ChartMuseum upload stores with its version (`ChartPublisher`): the generated manifest.
    static func plan(provenanceSize: Int64?) -> OCIManifestPlan {
        OCIManifestPlan(config: nil) { record in try make(for: record, provenanceSize: provenanceSize) }
    }

    /// The manifest that stands for `record` now: the first stored one whose layers are the
    /// record's chart and prov (a later push of the same bytes never moves the tag), else one
    /// generated and stored now (charts stored before OCI, or a prov attached after publishing).
    /// Blocking.
    static func current(for record: ChartVersionRecord, _ stores: Stores) throws -> OCIManifestRecord {
        let stored = try stores.metadata.manifests(repository: record.repository, name: record.name, version: record.version)
        if let match = stored.last(where: { $0.chartDigest == record.digest && $0.provenanceDigest == record.provenanceDigest }) {
            return match
        }
        let provenanceSize = try record.provenanceDigest.flatMap(SHA256Digest.init(hex:)).map { digest throws(StorageError) in
            try stores.blobs.size(of: digest)
        }
        let manifest = try make(for: record, provenanceSize: provenanceSize)
        return try stores.publisher.inFlight.holding([SHA256Digest(hex: manifest.configDigest)].compactMap { $0 }) {
            _ = try stores.blobs.write(Array(record.metadata.utf8))
            return try stores.metadata.insertManifest(manifest)
        }
    }
}
