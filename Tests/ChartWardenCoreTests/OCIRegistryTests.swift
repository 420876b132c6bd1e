import ChartWardenCore
import Foundation
import NIOCore
import OpenSSLSupport
import Storage
import Testing

/// Uploads over the OCI door, in process: digests checked before anything is kept, and blobs no
/// manifest took swept after the staging TTL (3600 s, the default) while used ones stay.
@Suite("OCI registry uploads")
struct OCIRegistryTests {
    static func body(_ bytes: [UInt8]) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            continuation.yield(ByteBuffer(bytes: bytes))
            continuation.finish()
        }
    }

    func upload(_ bytes: [UInt8], as digest: SHA256Digest, to address: OCIAddress, _ harness: CoreHarness) async throws(OCIError) {
        let handle = try await harness.service.oci.startUpload(at: address, owner: "user:writer")
        try await harness.service.oci.append(Self.body(bytes), to: handle, start: nil)
        try await harness.service.oci.finish(handle, digest: digest)
    }

    @Test func aWrongDigestKeepsNothingAndEndsTheSession() async throws {
        let harness = try await CoreHarness()
        defer { harness.remove() }
        let address = OCIAddress(repository: "plain", chart: "redis-lite")
        let bytes = Array("some bytes".utf8)
        await #expect(throws: OCIError.self) {
            try await upload(bytes, as: SHA256Hasher.hash(Array("other".utf8)), to: address, harness)
        }
        await #expect(throws: OCIError.self) {
            _ = try await harness.service.oci.blobSize(SHA256Hasher.hash(bytes), at: address, uploader: "user:writer")
        }
        #expect(await harness.service.oci.sessions.count == 0)
    }

    @Test func unreferencedUploadsAreSweptAfterTheTTLAndUsedOnesStay() async throws {
        let harness = try await CoreHarness()
        defer { harness.remove() }
        let address = OCIAddress(repository: "plain", chart: "redis-lite")
        let orphan = Array("never referenced".utf8)
        let chart = try CoreHarness.chart("redis-lite-0.8.1.tgz")
        try await upload(orphan, as: SHA256Hasher.hash(orphan), to: address, harness)
        try await upload(chart, as: SHA256Hasher.hash(chart), to: address, harness)
        #expect(try await harness.upload("redis-lite-0.8.1.tgz", to: "plain") == .published)
        // Before the TTL nothing goes.
        await harness.service.oci.sweep(now: Date())
        #expect(try await harness.service.oci.blobSize(SHA256Hasher.hash(orphan), at: address, uploader: "user:writer") == Int64(orphan.count))
        await harness.service.oci.sweep(now: Date().addingTimeInterval(3_601))
        await #expect(throws: OCIError.self) {
            _ = try await harness.service.oci.blobSize(SHA256Hasher.hash(orphan), at: address, uploader: "user:writer")
        }
        #expect(try harness.metadata.blobUpload(repository: "plain", name: "redis-lite",
                                                digest: SHA256Hasher.hash(orphan).hex) == nil)
        // The chart's bytes are a published version's: readers still get them.
        #expect(try await harness.service.oci.blobSize(SHA256Hasher.hash(chart), at: address, uploader: nil) == Int64(chart.count))
    }
}
