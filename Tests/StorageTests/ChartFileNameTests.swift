import ChartModel
import Foundation
import Storage
import Testing

/// `app` 1.0.0-1.2.3 and `app-1.0.0` 1.2.3 are both `app-1.0.0-1.2.3.tgz`: only one live row may
/// own a file name, and the database itself says so (no check-then-act window).
@Suite struct ChartFileNameTests {
    static func store(_ opened: OpenedStore) throws -> any MetadataStore {
        let store = opened.store
        try store.ensureRepository("stable")
        try store.ensureRepository("team-a")
        return store
    }

    @Test(arguments: StoreBackend.available, [ChartStatus.active, .quarantined])
    func aLiveRowOwnsItsFileName(_ backend: StoreBackend, _ status: ChartStatus) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0-1.2.3", status: status), audit: nil)
        let error = #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("app-1.0.0", "1.2.3"), audit: nil)
        }
        #expect(error?.code == .fileNameTaken)
        #expect(error?.message.contains("app-1.0.0-1.2.3.tgz is already the file of chart 'app' version 1.0.0-1.2.3") == true)
        // Another repository has its own file names.
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("app-1.0.0", "1.2.3", repository: "team-a"), audit: nil)
    }

    @Test(arguments: StoreBackend.available)
    func aDeletedRowReleasesItsFileNameAndCannotTakeItBack(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        let first = try store.insertChart(SQLiteMetadataStoreTests.record("app", "1.0.0-1.2.3"), audit: nil)
        try store.updateStatus(id: try #require(first.id), to: .deleted, reason: "deleted")
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("app-1.0.0", "1.2.3"), audit: nil)
        // Re-uploading the deleted version replaces its row, which would take the name back.
        let error = #expect(throws: StorageError.self) {
            try store.replaceChart(id: try #require(first.id), expecting: .deleted,
                                   with: SQLiteMetadataStoreTests.record("app", "1.0.0-1.2.3"), audit: nil,
                                   verdict: nil, contentVerdict: nil)
        }
        #expect(error?.code == .fileNameTaken)
        #expect(error?.message.contains("chart 'app-1.0.0' version 1.2.3") == true)
    }

    @Test(arguments: StoreBackend.available)
    func replacingUnlinksTheOldVerdictsAndChecksTheStatusItReplaces(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try Self.store(opened)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let verdict = ProvenanceVerdictRecord(repository: "stable", name: "demo", version: "1.0.0",
                                              signerFingerprint: "F", signedAt: now, passed: true, checks: "{}",
                                              createdAt: now)
        // A passing verdict's signer must be trusted there when the row commits (ChangedSignerTests).
        try store.upsertSigner(ChangeJournalTests.signer("F"))
        _ = try store.trust(RepositoryTrustRecord(repository: "stable", fingerprint: "F", addedAt: now, addedBy: "admin"),
                            audit: nil)
        let stored = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: nil, verdict: verdict)
        let id = try #require(stored.id)
        #expect(try store.verdict(chartVersionID: id) != nil)
        // A replacement that expects another status changes nothing.
        #expect(throws: StorageError.self) {
            try store.replaceChart(id: id, expecting: .pending, with: SQLiteMetadataStoreTests.record("demo", "1.0.0"),
                                   audit: nil, verdict: nil, contentVerdict: nil)
        }
        #expect(try store.verdict(chartVersionID: id) != nil)
        // New bytes without a verdict do not inherit the old one.
        _ = try store.replaceChart(id: id, expecting: .active, with: SQLiteMetadataStoreTests.record("demo", "1.0.0"),
                                   audit: nil, verdict: nil, contentVerdict: nil)
        #expect(try store.verdict(chartVersionID: id) == nil)
    }
}
