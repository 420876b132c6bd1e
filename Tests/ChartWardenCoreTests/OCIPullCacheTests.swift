import ChartWardenCore
import NIOCore
import OpenSSLSupport
import Testing

/// `OCIPullCache`: answers belong to one index generation of their repository; an answer read
/// under an older generation than the current one is never served.
@Suite struct OCIPullCacheTests {
    static let digest = SHA256Digest(hex: String(repeating: "a", count: 64))!

    static func manifest(_ version: String) -> OCIPullCache.Manifest {
        OCIPullCache.Manifest(name: "app", version: version, digest: String(repeating: "b", count: 64),
                              mediaType: "application/vnd.oci.image.manifest.v1+json", content: ByteBuffer(string: "{}"),
                              digestHeader: "sha256:" + String(repeating: "b", count: 64))
    }

    @Test func answersAreServedOnlyInTheGenerationTheyWereReadIn() {
        let cache = OCIPullCache()
        cache.remember(Self.manifest("1.0.0"), repository: "stable", generation: 3, chart: "app", reference: "1.0.0")
        cache.rememberServedBlob(Self.digest, size: 10, repository: "stable", generation: 3, chart: "app")
        #expect(cache.manifest(repository: "stable", generation: 3, chart: "app", reference: "1.0.0")?.version == "1.0.0")
        #expect(cache.servedBlobSize(repository: "stable", generation: 3, chart: "app", digest: Self.digest) == 10)
        // Other charts, repositories and references are misses.
        #expect(cache.manifest(repository: "stable", generation: 3, chart: "other", reference: "1.0.0") == nil)
        #expect(cache.manifest(repository: "plain", generation: 3, chart: "app", reference: "1.0.0") == nil)
        #expect(cache.servedBlobSize(repository: "stable", generation: 3, chart: "other", digest: Self.digest) == nil)
        // A change (generation 4) makes every answer of generation 3 a miss.
        #expect(cache.manifest(repository: "stable", generation: 4, chart: "app", reference: "1.0.0") == nil)
        #expect(cache.servedBlobSize(repository: "stable", generation: 4, chart: "app", digest: Self.digest) == nil)
    }

    @Test func anAnswerReadBeforeAChangeIsDropped() {
        let cache = OCIPullCache()
        cache.remember(Self.manifest("2.0.0"), repository: "stable", generation: 5, chart: "app", reference: "2.0.0")
        // A slow reader that looked at generation 4 before the store changed comes back late.
        cache.remember(Self.manifest("1.0.0"), repository: "stable", generation: 4, chart: "app", reference: "1.0.0")
        cache.rememberServedBlob(Self.digest, size: 10, repository: "stable", generation: 4, chart: "app")
        #expect(cache.manifest(repository: "stable", generation: 4, chart: "app", reference: "1.0.0") == nil)
        #expect(cache.manifest(repository: "stable", generation: 5, chart: "app", reference: "1.0.0") == nil)
        #expect(cache.servedBlobSize(repository: "stable", generation: 5, chart: "app", digest: Self.digest) == nil)
        #expect(cache.manifest(repository: "stable", generation: 5, chart: "app", reference: "2.0.0") != nil)
    }

    /// On a store other replicas write, entries expire: with no age allowed nothing is served.
    @Test func entriesOlderThanMaxAgeAreMisses() {
        let shared = OCIPullCache(maxAge: .zero)
        shared.remember(Self.manifest("1.0.0"), repository: "stable", generation: 1, chart: "app", reference: "1.0.0")
        shared.rememberServedBlob(Self.digest, size: 10, repository: "stable", generation: 1, chart: "app")
        #expect(shared.manifest(repository: "stable", generation: 1, chart: "app", reference: "1.0.0") == nil)
        #expect(shared.servedBlobSize(repository: "stable", generation: 1, chart: "app", digest: Self.digest) == nil)
        let young = OCIPullCache(maxAge: .seconds(3600))
        young.remember(Self.manifest("1.0.0"), repository: "stable", generation: 1, chart: "app", reference: "1.0.0")
        #expect(young.manifest(repository: "stable", generation: 1, chart: "app", reference: "1.0.0") != nil)
    }

    @Test func theCapBoundsEntriesPerRepository() {
        let cache = OCIPullCache(maxEntriesPerRepository: 2)
        for version in ["1", "2", "3"] {
            cache.remember(Self.manifest(version), repository: "stable", generation: 1, chart: "app", reference: version)
        }
        #expect(cache.manifest(repository: "stable", generation: 1, chart: "app", reference: "2") != nil)
        #expect(cache.manifest(repository: "stable", generation: 1, chart: "app", reference: "3") == nil)
        // Manifest bytes are capped too (a writer may pad manifests to 64 KiB): "{}" is 2 bytes.
        let small = OCIPullCache(maxManifestBytesPerRepository: 5)
        for version in ["1", "2", "3"] {
            small.remember(Self.manifest(version), repository: "stable", generation: 1, chart: "app", reference: version)
        }
        #expect(small.manifest(repository: "stable", generation: 1, chart: "app", reference: "2") != nil)
        #expect(small.manifest(repository: "stable", generation: 1, chart: "app", reference: "3") == nil)
    }
}
