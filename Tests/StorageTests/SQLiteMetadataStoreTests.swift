import ChartModel
import Foundation
import Storage
import Testing

@Suite struct SQLiteMetadataStoreTests {
    static func record(_ name: String, _ version: String, repository: String = "stable",
                       status: ChartStatus = .active) -> ChartVersionRecord {
        ChartVersionRecord(repository: repository, name: name, version: version, digest: String(repeating: "b", count: 64),
                           size: 10, created: Date(timeIntervalSince1970: 1_700_000_000), uploader: "user:ci",
                           status: status, metadata: "{}")
    }

    @Test func usesWALOnARealFile() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/chartwarden.sqlite")
        #expect(try store.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/chartwarden.sqlite"))
    }

    @Test func databaseEnforcesUniqueVersions() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try store.ensureRepository("stable")
        try store.ensureRepository("team-a")
        let inserted = try store.insertChart(Self.record("demo", "1.0.0"), audit: nil)
        #expect(inserted.id != nil)
        let error = #expect(throws: StorageError.self) { try store.insertChart(Self.record("demo", "1.0.0"), audit: nil) }
        #expect(error?.code == .conflict)
        // The same version in another repository is a different chart.
        _ = try store.insertChart(Self.record("demo", "1.0.0", repository: "team-a"), audit: nil)
        #expect(try store.charts(repository: "stable", statuses: [.active]).count == 1)
    }

    @Test func unknownRepositoryIsRefusedByForeignKey() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        #expect(throws: StorageError.self) { try store.insertChart(Self.record("demo", "1.0.0", repository: "nowhere"), audit: nil) }
    }

    @Test func statusesAndAudit() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteMetadataStore(path: directory.path + "/db.sqlite")
        try store.ensureRepository("stable")
        let audit = AuditEvent(at: Date(), repository: "stable", actor: "user:ci", action: "upload", outcome: "pending",
                               subject: "demo-1.0.0")
        let pending = try store.insertChart(Self.record("demo", "1.0.0", status: .pending), audit: audit)
        #expect(try store.charts(repository: "stable", statuses: [.active]).isEmpty)
        try store.updateStatus(id: try #require(pending.id), to: .quarantined, reason: "key revoked")
        let fetched = try #require(try store.chart(repository: "stable", name: "demo", version: "1.0.0"))
        #expect(fetched.status == .quarantined)
        #expect(fetched.statusReason == "key revoked")
        #expect(try store.auditEvents(repository: "stable", limit: 10).map(\.outcome) == ["pending"])
        #expect(throws: StorageError.self) { try store.updateStatus(id: 999, to: .active, reason: nil) }
    }

    @Test func dataSurvivesReopening() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/db.sqlite"
        do {
            let store = try SQLiteMetadataStore(path: path)
            try store.ensureRepository("stable")
            _ = try store.insertChart(Self.record("demo", "1.0.0"), audit: nil)
        }
        let reopened = try SQLiteMetadataStore(path: path)
        #expect(try reopened.chart(repository: "stable", name: "demo", version: "1.0.0")?.uploader == "user:ci")
    }
}
