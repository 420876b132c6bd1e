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

    /// A version's manifest is written in the version's transaction (a refused insert leaves no
    /// manifest), goes when the version is deleted, and is replaced with the bytes it stands for.
    @Test(arguments: StoreBackend.available)
    func theManifestRowLivesAndDiesWithItsVersion(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        let digest1 = String(repeating: "1", count: 64), digest2 = String(repeating: "2", count: 64)
        let row = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0"), audit: nil, verdict: nil,
                                        contentVerdict: nil, manifest: Self.manifest(digest1))
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").map(\.digest) == [digest1])
        // The same version again is a conflict: its manifest is not stored either.
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0"), audit: nil, verdict: nil,
                                  contentVerdict: nil, manifest: Self.manifest(digest2))
        }
        #expect(try store.manifest(repository: "stable", name: "app", digest: digest2) == nil)
        // An overwrite with other bytes drops the manifests of the replaced bytes and stores its own.
        var other = SQLiteMetadataStoreTests.record("app", "1.0.0")
        other.digest = String(repeating: "c", count: 64)
        var replacement = Self.manifest(digest2)
        replacement.chartDigest = other.digest
        let id = try #require(row.id)
        _ = try store.replaceChart(id: id, expecting: .active, with: other, audit: nil, verdict: nil, contentVerdict: nil,
                                   manifest: replacement)
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").map(\.digest) == [digest2])
        // Quarantine keeps the manifest (a restore serves it again); delete removes it.
        try store.updateStatus(id: id, to: .quarantined, reason: "test")
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").count == 1)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("app", "2.0.0"), audit: nil, verdict: nil,
                                  contentVerdict: nil, manifest: Self.manifest(String(repeating: "3", count: 64), version: "2.0.0"))
        try store.updateStatus(id: id, to: .deleted, reason: "test")
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").isEmpty)
        #expect(try store.manifests(repository: "stable", name: "app", version: "2.0.0").count == 1)
    }

    /// Trimming keeps the oldest manifest of the version's bytes (its tag) and the newest others;
    /// served manifests and versions are read per chart.
    @Test(arguments: StoreBackend.available)
    func manifestsAreTrimmedAndReadPerChart(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        let row = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0"), audit: nil, verdict: nil,
                                        contentVerdict: nil, manifest: Self.manifest(String(repeating: "1", count: 64)))
        for fill in ["2", "3", "4"] { _ = try store.insertManifest(Self.manifest(String(repeating: fill, count: 64))) }
        var stale = Self.manifest(String(repeating: "5", count: 64))
        stale.chartDigest = String(repeating: "c", count: 64)  // other bytes: never served
        _ = try store.insertManifest(stale)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("other", "1.0.0"), audit: nil)
        #expect(try store.servedManifests(repository: "stable", name: "app").map(\.digest.first) == ["1", "2", "3", "4"])
        try store.trimManifests(of: row, keeping: 2)
        #expect(try store.manifests(repository: "stable", name: "app", version: "1.0.0").map(\.digest.first) == ["4", "1"])
        #expect(try store.versions(repository: "stable", name: "app", statuses: [.active]) == ["1.0.0"])
        try store.updateStatus(id: try #require(row.id), to: .quarantined, reason: "test")
        #expect(try store.servedManifests(repository: "stable", name: "app").isEmpty)
        #expect(try store.versions(repository: "stable", name: "app", statuses: [.active]).isEmpty)
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
