import Foundation
import NIOCore
import OpenSSLSupport
import Storage

/// Pulls: manifests and blobs as readers fetch them, answered from `pulls` (`OCIPullCache`) once
/// the store resolved them in the repository's current index generation, and referrers.
extension OCIRegistry {
    /// The size of blob `digest` under `address`, if the caller may see it: readers see the
    /// chart, prov and config of active versions; a writer (`uploader`, nil for a reader) also
    /// the blobs it uploaded for the chart that no decided push has named yet. Anything else
    /// (another writer's uploads, the layers of a refused push) is `BLOB_UNKNOWN`.
    /// Served blobs are answered from `pulls` once the store said so in the current generation.
    package func blobSize(_ digest: SHA256Digest, at address: OCIAddress, uploader: String?) async throws(OCIError) -> Int64 {
        let generation = ingest.catalog.repository(named: address.repository)?.snapshot.generation
        if let generation, let size = pulls.servedBlobSize(repository: address.repository, generation: generation,
                                                           chart: address.chart, digest: digest) {
            return size
        }
        let (size, served) = try await onPool { stores throws(OCIError) in
            try Self.visibleBlobSize(digest, at: address, uploader: uploader, stores)
        }
        if served, let generation {
            pulls.rememberServedBlob(digest, size: size, repository: address.repository, generation: generation, chart: address.chart)
        }
        return size
    }

    /// The bytes of a visible blob (whole; blobs are bounded by `maxUploadBytes`), from the
    /// catalog's `BlobCache` when recently served (blobs are content-addressed: never stale).
    package func blob(_ digest: SHA256Digest, at address: OCIAddress, uploader: String?) async throws(OCIError) -> ByteBuffer {
        _ = try await blobSize(digest, at: address, uploader: uploader)
        let cache = ingest.catalog.blobCache
        if let cached = cache.get(digest) { return cached }
        return try await onPool { stores throws(OCIError) in
            do {
                let buffer = ByteBuffer(bytes: try stores.blobs.read(digest))
                cache.put(digest, buffer)
                return buffer
            } catch {
                throw OCIError(.blobUnknown, "blob unknown to registry")
            }
        }
    }

    /// The manifest a tag or digest names, if its version is active. A quarantined version is
    /// `DENIED`; a deleted, staged or missing one `MANIFEST_UNKNOWN`. Answered from `pulls` once
    /// the store resolved the same reference in the repository's current generation.
    package func manifest(_ reference: String, at address: OCIAddress) async throws(OCIError) -> OCIPullCache.Manifest {
        let digest = OCIDigest.parse(reference)
        if digest == nil, !OCITag.isValid(reference) {
            throw OCIError(.manifestInvalid, "\(reference) is neither a tag nor a sha256 digest")
        }
        let generation = ingest.catalog.repository(named: address.repository)?.snapshot.generation
        if let generation, let cached = pulls.manifest(repository: address.repository, generation: generation,
                                                       chart: address.chart, reference: reference) {
            return cached
        }
        let record = try await onPool { stores throws(OCIError) in try Self.activeManifest(digest, reference, at: address, stores) }
        let manifest = OCIPullCache.Manifest(name: record.name, version: record.version, digest: record.digest,
                                             mediaType: record.mediaType, content: ByteBuffer(data: record.content),
                                             digestHeader: "sha256:\(record.digest)")
        if let generation {
            pulls.remember(manifest, repository: address.repository, generation: generation, chart: address.chart,
                           reference: reference)
        }
        return manifest
    }

    /// The stored manifest `digest` (else tag `reference`) names, if its version is active. Blocking.
    private static func activeManifest(_ digest: SHA256Digest?, _ reference: String, at address: OCIAddress,
                                       _ stores: Stores) throws(OCIError) -> OCIManifestRecord {
        do {
            let version: String
            var pinned: OCIManifestRecord?
            if let digest {
                guard let stored = try stores.metadata.manifest(repository: address.repository, name: address.chart,
                                                                digest: digest.hex) else {
                    throw OCIError(.manifestUnknown, "manifest unknown to registry")
                }
                version = stored.version
                pinned = stored
            } else {
                version = OCITag.version(forTag: reference)
            }
            guard let record = try stores.metadata.chart(repository: address.repository, name: address.chart,
                                                         version: version) else {
                throw OCIError(.manifestUnknown, "manifest unknown to registry")
            }
            switch record.status {
            case .active: break
            case .quarantined:
                throw OCIError(.denied, "\(record.name) \(record.version) is quarantined"
                    + (record.statusReason.map { ": \($0)" } ?? ""))
            case .pending, .deleted:
                throw OCIError(.manifestUnknown, "manifest unknown to registry")
            }
            if let pinned {
                guard pinned.chartDigest == record.digest, pinned.provenanceDigest == record.provenanceDigest else {
                    throw OCIError(.manifestUnknown, "manifest unknown to registry")
                }
                return pinned
            }
            return try GeneratedManifest.current(for: record, stores)
        } catch let error as OCIError {
            throw error
        } catch {
            throw OCIError(.internalError, "manifest lookup failed: \(error)")
        }
    }

    // MARK: Referrers

    /// The chart's manifests whose `subject` is `digest` (distribution-spec 1.1 referrers),
    /// among those its active versions serve (a quarantined, deleted or staged version refers to
    /// nothing), oldest first; only those of `artifactType` when given. A Helm chart manifest's
    /// artifact type is its `artifactType`, else its config's media type: always
    /// `HelmChartManifest.configMediaType`, the only one accepted. The chart's referrers are read
    /// from the store once per generation (`pulls`), so asking costs no parsing.
    package func referrers(of digest: SHA256Digest, at address: OCIAddress, artifactType: String?)
        async throws(OCIError) -> [OCIReferrer] {
        let generation = ingest.catalog.repository(named: address.repository)?.snapshot.generation
        var all: [OCIPullCache.Referrer]
        if let generation, let cached = pulls.referrers(repository: address.repository, generation: generation,
                                                        chart: address.chart) {
            all = cached
        } else {
            all = try await onPool { stores throws(OCIError) in try Self.referrers(of: address, stores) }
            if let generation {
                pulls.rememberReferrers(all, repository: address.repository, generation: generation, chart: address.chart)
            }
        }
        all.removeAll { $0.subject != digest || (artifactType != nil && artifactType != $0.descriptor.artifactType) }
        return all.map(\.descriptor)
    }

    /// Every served manifest of the chart that names a subject. Blocking.
    private static func referrers(of address: OCIAddress, _ stores: Stores) throws(OCIError) -> [OCIPullCache.Referrer] {
        let marker = Data(#""subject""#.utf8)
        do {
            return try stores.metadata.servedManifests(repository: address.repository, name: address.chart).compactMap { stored in
                // Stored manifests passed this parser at push; most (generated ones always) name no subject.
                guard stored.content.range(of: marker) != nil,
                      let manifest = try? HelmChartManifest.parse(Array(stored.content), contentType: nil),
                      let subject = manifest.subject else { return nil }
                return OCIPullCache.Referrer(subject: subject.digest, descriptor: OCIReferrer(
                    mediaType: stored.mediaType, digest: "sha256:\(stored.digest)", size: Int64(stored.content.count),
                    artifactType: HelmChartManifest.configMediaType,
                    annotations: manifest.annotations.isEmpty ? nil : manifest.annotations))
            }
        } catch {
            throw OCIError(.internalError, "referrers lookup failed: \(error)")
        }
    }
}
