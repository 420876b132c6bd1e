import Foundation
@testable import Storage
import Testing

/// The OCI tables: manifests inserted once per digest, blobs served only while an active
/// version uses them, uploads expired by age, and blob references that keep bytes alive.
@Suite struct OCIStoreTests {
    static let chartDigest = String(repeating: "b", count: 64)
    static let configDigest = String(repeating: "d", count: 64)

    static func manifest(_ digest: String, version: String = "1.0.0") -> OCIManifestRecord {
        OCIManifestRecord(repository: "stable", name: "app", version: version, digest: digest,
                          mediaType: "application/vnd.oci.image.manifest.v1+json", content: Data("{}".utf8),
                          configDigest: configDigest, chartDigest: chartDigest, provenanceDigest: nil, generated: false,
                          created: Date())
    }

    @Test(arguments: StoreBackend.available)
    func aManifestIsStoredOncePerDigestAndServedOnlyWhileItsVersionIsActive(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        let first = try store.insertManifest(Self.manifest(String(repeating: "1", count: 64)))
        let again = try store.insertManifest(Self.manifest(String(repeating: "1", count: 64)))
        #expect(first.id == again.id)
        _ = try store.insertManifest(Self.manifest(String(repeating: "2", count: 64)))
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").map(\.digest)
            == [String(repeating: "2", count: 64), String(repeating: "1", count: 64)])
        // No chart row yet: nothing is served, but the config blob is referenced (kept).
        #expect(try !store.isBlobServed(repository: "stable", name: "app", digest: Self.configDigest))
        #expect(try store.isBlobReferenced(Self.configDigest))
        let row = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0"), audit: nil)
        #expect(try store.isBlobServed(repository: "stable", name: "app", digest: Self.configDigest))
        #expect(try store.isBlobServed(repository: "stable", name: "app", digest: Self.chartDigest))
        #expect(try !store.isBlobServed(repository: "stable", name: "other", digest: Self.chartDigest))
        try store.updateStatus(id: try #require(row.id), to: .quarantined, reason: "test")
        #expect(try !store.isBlobServed(repository: "stable", name: "app", digest: Self.configDigest))
    }

    @Test(arguments: StoreBackend.available)
    func uploadsExpireByAgeAndKeepTheirBytesReferencedUntilThen(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        let old = Date(timeIntervalSince1970: 1_700_000_000)
        let digest = String(repeating: "e", count: 64)
        try store.recordBlobUpload(OCIBlobUploadRecord(repository: "stable", name: "app", digest: digest, size: 3,
                                                       uploader: "user:ci", uploadedAt: old))
        try store.recordBlobUpload(OCIBlobUploadRecord(repository: "stable", name: "app", digest: "f" + digest.dropFirst(),
                                                       size: 3, uploader: "user:ci", uploadedAt: Date()))
        #expect(try store.isBlobReferenced(digest))
        #expect(try store.expireBlobUploads(repository: "stable", uploadedBefore: old.addingTimeInterval(1)) == [digest])
        #expect(try store.blobUpload(repository: "stable", name: "app", digest: digest) == nil)
        #expect(try !store.isBlobReferenced(digest))
        #expect(try store.blobUpload(repository: "stable", name: "app", digest: "f" + digest.dropFirst()) != nil)
    }

    /// Pending upload bytes are capped per uploader (every repository) and per repository, checked
    /// with the insert; the same blob again is not counted twice; forgotten rows give the bytes back.
    @Test(arguments: StoreBackend.available)
    func uploadsAreCappedPerUploaderAndPerRepository(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        func upload(_ fill: Character, _ uploader: String, size: Int64 = 40) throws -> OCIUploadCap? {
            try store.recordBlobUpload(OCIBlobUploadRecord(repository: "stable", name: "app",
                                                           digest: String(repeating: fill, count: 64), size: size,
                                                           uploader: uploader, uploadedAt: Date()),
                                       maxUploaderBytes: 100, maxRepositoryBytes: 150)
        }
        #expect(try upload("1", "user:a") == nil)
        #expect(try upload("2", "user:a") == nil)
        #expect(try upload("2", "user:a") == nil)  // the same blob again: still 80 bytes held
        #expect(try upload("3", "user:a") == .uploader(held: 80, limit: 100))
        #expect(try store.blobUpload(repository: "stable", name: "app", digest: String(repeating: "3", count: 64)) == nil)
        #expect(try upload("4", "user:b") == nil)
        #expect(try upload("5", "user:b") == .repository(held: 120, limit: 150))
        try store.settleBlobUploads(repository: "stable", name: "app", digests: [String(repeating: "2", count: 64)],
                                    refused: true)
        #expect(try store.blobUpload(repository: "stable", name: "app", digest: String(repeating: "2", count: 64))?.refused
            == true)
        #expect(try upload("5", "user:b") == .repository(held: 120, limit: 150))  // refused rows still count
        try store.settleBlobUploads(repository: "stable", name: "app", digests: [String(repeating: "1", count: 64)],
                                    refused: false)
        #expect(try upload("5", "user:b") == nil)
    }
}
