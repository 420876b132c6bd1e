import ChartModel
import Foundation
import OpenSSLSupport
@testable import Storage
import Testing

/// A writer that dies between "blob durable" and "metadata committed" leaves nothing visible.
@Suite struct ChartPublisherCrashTests {
    struct SimulatedCrash: Error {}

    @Test(arguments: StoreBackend.available)
    func crashBetweenBlobAndMetadataLeavesNoVisibleChart(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let archive = Array("pretend this is a .tgz".utf8)
        do {
            let metadata = opened.store
            try metadata.ensureRepository("stable")
            var publisher = ChartPublisher(blobs: try opened.blobs(), metadata: metadata)
            publisher.afterBlobDurable = { throw SimulatedCrash() }
            #expect(throws: SimulatedCrash.self) {
                try publisher.publish(archive: archive, chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                      repository: "stable", uploader: "user:ci")
            }
        }
        // "Restart": open everything again from disk (or the database).
        let metadata = try opened.reopen()
        let blobs = try opened.blobs()
        #expect(try metadata.chart(repository: "stable", name: "demo", version: "1.0.0") == nil)
        #expect(try metadata.charts(repository: "stable", statuses: Set(ChartStatus.allCases)).isEmpty)
        #expect(try metadata.auditEvents(repository: nil, limit: 10).isEmpty)
        // The blob is complete (never half-written) and merely unreferenced.
        #expect(try blobs.read(SHA256Hasher.hash(archive)) == archive)

        // A retry after the restart publishes normally.
        let publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        let record = try publisher.publish(archive: archive, chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                           repository: "stable", uploader: "user:ci")
        #expect(record.digest == SHA256Hasher.hash(archive).hex)
        #expect(try metadata.auditEvents(repository: "stable", limit: 10).count == 1)
    }

    @Test(arguments: StoreBackend.available)
    func conflictingPublishKeepsTheStoredChart(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let metadata = opened.store
        try metadata.ensureRepository("stable")
        let blobs = try opened.blobs()
        let publisher = ChartPublisher(blobs: blobs, metadata: metadata)
        let first = try publisher.publish(archive: Array("first".utf8), chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                          repository: "stable", uploader: "user:a")
        let error = #expect(throws: StorageError.self) {
            try publisher.publish(archive: Array("second".utf8), chart: ChartMetadata(name: "demo", version: "1.0.0"),
                                  repository: "stable", uploader: "user:b")
        }
        #expect(error?.code == .conflict)
        let stored = try #require(try metadata.chart(repository: "stable", name: "demo", version: "1.0.0"))
        #expect(stored.digest == first.digest)
        #expect(stored.uploader == "user:a")
        let metadataJSON = try JSONDecoder().decode(ChartMetadata.self, from: Data(stored.metadata.utf8))
        #expect(metadataJSON.name == "demo")
    }
}
