import Foundation
import GRDB
@testable import Storage
import Testing

/// Stages own no file name until published; a prov is attached only to the row it was verified
/// against; the sweeper deletes only the stage it read (#19 service follow-up).
@Suite struct StageGuardTests {
    static func store(_ opened: OpenedStore) throws -> any MetadataStore {
        try opened.store.ensureRepository("stable")
        return opened.store
    }

    static let provDigest = String(repeating: "c", count: 64)

    /// A keyless writer stages `app-1.0.0` 1.2.3: the signed `app` 1.0.0-1.2.3 still publishes,
    /// and the squatter's stage can no longer be published.
    @Test(arguments: StoreBackend.available)
    func aStageOwnsNoFileNameUntilItIsPublished(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        let squat = try store.insertChart(SQLiteMetadataStoreTests.record("app-1.0.0", "1.2.3", status: .pending), audit: nil)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0-1.2.3"), audit: nil)
        let error = #expect(throws: StorageError.self) {
            try store.setProvenance(id: try #require(squat.id), digest: Self.provDigest, expecting: squat, activate: true,
                                    audit: nil, verdict: nil)
        }
        #expect(error?.code == .fileNameTaken)
        #expect(error?.message.contains("chart 'app' version 1.0.0-1.2.3") == true)
        #expect(try store.chart(repository: "stable", name: "app-1.0.0", version: "1.2.3")?.status == .pending)
        // A new stage of a name a live chart owns (whatever the case) is refused at once.
        let staged = #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("APP-1.0.0", "1.2.3", status: .pending), audit: nil)
        }
        #expect(staged?.code == .fileNameTaken)
    }

    @Test(arguments: StoreBackend.available)
    func fileNamesCollideWhateverTheirCase(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("App", "1.0.0"), audit: nil)
        let error = #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0"), audit: nil)
        }
        #expect(error?.code == .fileNameTaken)
        #expect(error?.message.contains("chart 'App' version 1.0.0") == true)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0-RC1"), audit: nil)
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0-rc1"), audit: nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aProvIsAttachedOnlyToTheRowItWasVerifiedAgainst(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        let verified = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: nil)
        let id = try #require(verified.id)
        // Overwritten meanwhile (same id, other bytes): 409, the new bytes get no prov.
        var replacement = SQLiteMetadataStoreTests.record("demo", "1.0.0")
        replacement.digest = String(repeating: "d", count: 64)
        _ = try store.replaceChart(id: id, with: replacement, audit: nil)
        let overwritten = #expect(throws: StorageError.self) {
            try store.setProvenance(id: id, digest: Self.provDigest, expecting: verified, activate: false, audit: nil,
                                    verdict: nil)
        }
        #expect(overwritten?.code == .conflict)
        #expect(try store.chart(repository: "stable", name: "demo", version: "1.0.0")?.provenanceDigest == nil)
        // Quarantined by an admin meanwhile: publishing the stage does not undo it.
        let stage = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "2.0.0", status: .pending), audit: nil)
        try store.updateStatus(id: try #require(stage.id), to: .quarantined, reason: "admin")
        let quarantined = #expect(throws: StorageError.self) {
            try store.setProvenance(id: try #require(stage.id), digest: Self.provDigest, expecting: stage, activate: true,
                                    audit: nil, verdict: nil)
        }
        #expect(quarantined?.code == .conflict)
        #expect(try store.chart(repository: "stable", name: "demo", version: "2.0.0")?.status == .quarantined)
        // Gone meanwhile: not found.
        try store.deleteChart(id: try #require(stage.id), audit: nil)
        let gone = #expect(throws: StorageError.self) {
            try store.setProvenance(id: try #require(stage.id), digest: Self.provDigest, expecting: stage, activate: true,
                                    audit: nil, verdict: nil)
        }
        #expect(gone?.code == .notFound)
    }

    /// The sweeper read a stage; it was superseded and staged again (same id, later upload) before
    /// the delete ran: the new stage stays.
    @Test(arguments: StoreBackend.available)
    func anExpiryDeletesOnlyTheStageItRead(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        let old = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0", status: .pending), audit: nil)
        let id = try #require(old.id)
        var restaged = SQLiteMetadataStoreTests.record("demo", "1.0.0", status: .pending)
        restaged.created = old.created.addingTimeInterval(60)
        _ = try store.replaceChart(id: id, expecting: .pending, with: restaged, audit: nil, verdict: nil, contentVerdict: nil)
        #expect(try !store.deleteChart(id: id, onlyIf: old, audit: nil))
        #expect(try store.chart(repository: "stable", name: "demo", version: "1.0.0") != nil)
    }

    /// Rows stored before the unique index may collide: one GROUP BY pass keeps the active row
    /// (not the older quarantined one) and marks the others deleted.
    @Test func theMigrationKeepsTheActiveRowOfACollision() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        do {
            let store = try SQLiteMetadataStore(path: path)
            try store.ensureRepository("stable")
            try store.database.write { db in
                try db.execute(sql: "DROP INDEX chart_versions_live_file_name")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v4%' OR identifier LIKE 'v5%'")
            }
            _ = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0-1.2.3", status: .quarantined), audit: nil)
            _ = try store.insertChart(SQLiteMetadataStoreTests.record("App-1.0.0", "1.2.3"), audit: nil)
            _ = try store.insertChart(SQLiteMetadataStoreTests.record("app-1.0.0", "1.2.3", status: .quarantined), audit: nil)
            _ = try store.insertChart(SQLiteMetadataStoreTests.record("other", "1.0.0", status: .quarantined), audit: nil)
        }
        let store = try SQLiteMetadataStore(path: path)
        let statuses = Dictionary(uniqueKeysWithValues: try store.allCharts(statuses: Set(ChartStatus.allCases))
            .map { ("\($0.name) \($0.version)", $0.status) })
        #expect(statuses == ["app 1.0.0-1.2.3": .deleted, "App-1.0.0 1.2.3": .active, "app-1.0.0 1.2.3": .deleted,
                             "other 1.0.0": .quarantined])
    }
}
