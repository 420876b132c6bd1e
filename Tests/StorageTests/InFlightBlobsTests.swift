import ChartModel
import Foundation
import OpenSSLSupport
@testable import Storage
import Synchronization
import Testing

/// The staging sweeper deletes blobs nothing references; a concurrent upload of the same bytes
/// reuses the file and commits its row a moment later. The deletion must not fall in between.
@Suite struct InFlightBlobsTests {
    @Test func expiringAStageKeepsABlobAPublishIsAboutToCommit() throws {
        let directory = try TemporaryDirectory()
        let metadata = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try metadata.ensureRepository("stable")
        let blobs = try FileBlobStore(root: directory.path + "/blobs")
        let bytes = Array("the same chart bytes".utf8)
        let sweeper = ChartPublisher(blobs: blobs, metadata: metadata)
        let stage = try sweeper.publish(archive: bytes, chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                        repository: "stable", uploader: "user:squatter", status: .pending)
        let stageID = try #require(stage.id)

        var publisher = ChartPublisher(blobs: blobs, metadata: metadata, inFlight: sweeper.inFlight)
        // The stage expires exactly between the publisher's blob write and its commit.
        publisher.afterBlobDurable = {
            try metadata.deleteChart(id: stageID, audit: nil)
            try sweeper.reclaim([stage.digest])
        }
        let published = try publisher.publish(archive: bytes, chart: ChartMetadata(name: "demo", version: "1.0.1"),
                                              repository: "stable", uploader: "user:ci")
        #expect(published.digest == stage.digest)
        #expect(try blobs.read(SHA256Hasher.hash(bytes)) == bytes)
    }

    @Test func aBlobNothingUsesIsReclaimed() throws {
        let directory = try TemporaryDirectory()
        let metadata = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try metadata.ensureRepository("stable")
        let blobs = try FileBlobStore(root: directory.path + "/blobs")
        let publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        let stage = try publisher.publish(archive: Array("staged".utf8), chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                          repository: "stable", uploader: "user:ci", status: .pending)
        // Still referenced: kept.
        try publisher.reclaim([stage.digest])
        #expect(blobs.contains(try #require(SHA256Digest(hex: stage.digest))))
        try metadata.deleteChart(id: try #require(stage.id), audit: nil)
        try publisher.reclaim([stage.digest])
        #expect(!blobs.contains(try #require(SHA256Digest(hex: stage.digest))))
    }
}

@Suite struct StageExpiryRaceTests {
    /// The sweeper read a stage, then a signed upload published it: the expiry must not delete it.
    @Test func anExpiryOnlyDeletesARowThatIsStillAStage() throws {
        let directory = try TemporaryDirectory()
        let metadata = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try metadata.ensureRepository("stable")
        let stage = try metadata.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0", status: .pending), audit: nil)
        let id = try #require(stage.id)
        try metadata.setProvenance(id: id, digest: String(repeating: "c", count: 64), expecting: stage, activate: true,
                                   audit: nil, verdict: nil)
        #expect(try !metadata.deleteChart(id: id, onlyIf: stage, audit: nil))
        #expect(try metadata.chart(repository: "stable", name: "demo", version: "1.0.0")?.status == .active)
    }
}

/// The start-up sweep of blobs no row references (a kill -9 between a blob's write and its
/// row's commit), sparing referenced blobs and those a publish holds (#16).
@Suite struct OrphanBlobSweepTests {
    @Test func aPlantedOrphanGoesReferencedAndHeldBlobsStay() throws {
        let directory = try TemporaryDirectory()
        let metadata = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try metadata.ensureRepository("stable")
        let blobs = try FileBlobStore(root: directory.path + "/blobs")
        let publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        let stored = try publisher.publish(archive: Array("stored".utf8), provenance: Array("its prov".utf8),
                                           chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                           repository: "stable", uploader: "user:ci")
        let deleted = try publisher.publish(archive: Array("deleted, bytes kept".utf8),
                                            chart: ChartMetadata(name: "demo", version: "0.9.0"),
                                            repository: "stable", uploader: "user:ci")
        try metadata.updateStatus(id: try #require(deleted.id), to: .deleted, reason: "test")
        let orphan = try blobs.write(Array("written, then the process was killed".utf8))

        let swept = Mutex<[SHA256Digest]>([])
        var during = ChartPublisher(blobs: blobs, metadata: metadata, inFlight: publisher.inFlight)
        let inFlight = Array("an upload between its blob write and its commit".utf8)
        // The sweep runs while another upload's blob is durable and its row not yet committed.
        during.afterBlobDurable = { let found = try publisher.sweepOrphans(); swept.withLock { $0 = found } }
        _ = try during.publish(archive: inFlight, chart: ChartMetadata(name: "demo", version: "2.0.0"),
                               repository: "stable", uploader: "user:ci")

        #expect(swept.withLock { $0 } == [orphan])
        #expect(!blobs.contains(orphan))
        #expect(blobs.contains(SHA256Hasher.hash(inFlight)))
        for hex in [stored.digest, try #require(stored.provenanceDigest), deleted.digest] {
            #expect(blobs.contains(try #require(SHA256Digest(hex: hex))))
        }
        #expect(try publisher.sweepOrphans().isEmpty)
    }
}
