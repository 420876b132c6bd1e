import Foundation
@testable import Storage
import Testing

/// The change journal on both stores (StoreBackend): every change path writes one row in its own
/// transaction, ids are gap-free, generations grow per repository, retention prunes (#14, #18).
@Suite struct ChangeJournalTests {
    static func audit(_ action: AuditAction, _ outcome: AuditOutcome, repository: String? = "stable",
                      subject: String = "demo-1.0.0") -> AuditEvent {
        AuditEvent(at: Date(), repository: repository, actor: "user:ci", action: action, outcome: outcome, subject: subject)
    }

    static func signer(_ fingerprint: String) -> SignerRecord {
        SignerRecord(fingerprint: fingerprint, userIDs: ["ci"], algorithm: "ed25519", created: nil, expires: nil, importedAt: Date())
    }

    @Test(arguments: StoreBackend.available)
    func everyChangePathJournalsOneRowInOrder(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        try store.ensureRepository("other")
        #expect(try store.latestEventID() == 0)

        let published = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"),
                                              audit: Self.audit(.upload, .active))
        let id = try #require(published.id)
        var overwrite = SQLiteMetadataStoreTests.record("demo", "1.0.0")
        overwrite.digest = String(repeating: "e", count: 64)
        _ = try store.replaceChart(id: id, expecting: .active, with: overwrite, audit: Self.audit(.overwrite, .active),
                                   verdict: nil, contentVerdict: nil)
        try store.updateStatus(id: id, to: .quarantined, reason: "revoked", audit: Self.audit(.quarantine, .quarantined))
        try store.updateStatus(id: id, to: .active, reason: nil, audit: Self.audit(.restore, .active))
        try store.updateStatus(id: id, to: .deleted, reason: "gone", audit: Self.audit(.delete, .deleted))
        let staged = try store.insertChart(SQLiteMetadataStoreTests.record("app", "2.0.0", repository: "other", status: .pending),
                                           audit: Self.audit(.upload, .pending, repository: "other"))
        #expect(try store.deleteChart(id: try #require(staged.id), onlyIf: staged,
                                      audit: Self.audit(.stage, .expired, repository: "other")))
        try store.appendContentVerdict(
            ContentVerdictRecord(repository: "stable", name: "bad", version: "0.1.0", passed: false, refused: true,
                                 verdict: "{}", createdAt: Date()),
            audit: AuditEvent(at: Date(), repository: "stable", actor: "user:ci", action: .upload, outcome: .rejected,
                              subject: "bad-0.1.0", detail: try AuditDetail(["violations": ["ClusterRoleBinding"]])))
        try store.upsertSigner(Self.signer("AAAA"))
        #expect(try store.trust(RepositoryTrustRecord(repository: "stable", fingerprint: "AAAA", addedAt: Date(), addedBy: "admin"),
                                audit: Self.audit(.trust, .trusted, subject: "AAAA")))
        try store.recordRevocation("AAAA", at: Date(), kind: .hard, audit: Self.audit(.revoke, .hard, repository: nil, subject: "AAAA"))
        #expect(try store.distrust(repository: "stable", fingerprint: "AAAA", audit: Self.audit(.distrust, .distrusted, subject: "AAAA")))
        // Nothing stored changed: no row.
        try store.appendAudit(Self.audit(.authenticate, .denied))
        _ = try store.distrust(repository: "stable", fingerprint: "AAAA", audit: Self.audit(.distrust, .distrusted, subject: "AAAA"))

        let events = try store.events(after: 0, limit: 100)
        #expect(events.map(\.type) == [.chartPublished, .chartOverwritten, .chartQuarantined, .chartRestored, .chartDeleted,
                                       .chartStaged, .chartStagingExpired, .uploadRejected, .signerTrusted, .signerRevoked,
                                       .signerDistrusted])
        #expect(events.map(\.id) == Array(1...Int64(events.count)))
        #expect(try store.latestEventID() == Int64(events.count))
        // Per-repository generations; trust-wide events have no repository.
        #expect(events.filter { $0.repository == "stable" }.map(\.generation) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(events.filter { $0.repository == "other" }.map(\.generation) == [1, 2])
        let revoked = try #require(events.first { $0.type == .signerRevoked })
        #expect(revoked.repository == nil && revoked.fingerprint == "AAAA" && revoked.generation == 1)
        #expect(try store.generations() == ["stable": 8, "other": 2])
        let deleted = try #require(events.first { $0.type == .chartDeleted })
        #expect(deleted.name == "demo" && deleted.version == "1.0.0" && deleted.actor == "user:ci")
        let rejected = try #require(events.first { $0.type == .uploadRejected })
        #expect(rejected.name == "bad" && rejected.version == "0.1.0")
        #expect(rejected.data?.contains("ClusterRoleBinding") == true)
        #expect(try store.events(after: 3, limit: 2).map(\.id) == [4, 5])
    }

    /// A change that fails leaves no journal row: the row is in the change's transaction.
    @Test(arguments: StoreBackend.available)
    func aRefusedChangeJournalsNothing(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: Self.audit(.upload, .active))
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: Self.audit(.upload, .active))
        }
        #expect(throws: StorageError.self) { try store.updateStatus(id: 999, to: .deleted, reason: nil, audit: nil) }
        #expect(try store.events(after: 0, limit: 10).count == 1)
        #expect(try store.generations() == ["stable": 1])
    }

    /// Retention prunes old journal rows; ids keep growing after the table is emptied.
    @Test(arguments: StoreBackend.available)
    func retentionPrunesTheJournalAndIdsAreNeverReused(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: Self.audit(.upload, .active))
        #expect(try store.pruneHistory(olderThan: Date().addingTimeInterval(3600), limit: 100) == 2)  // audit + journal
        #expect(try store.events(after: 0, limit: 10).isEmpty)
        #expect(try store.latestEventID() == 1)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "2.0.0"), audit: Self.audit(.upload, .active))
        #expect(try store.events(after: 0, limit: 10).map(\.id) == [2])
    }

    /// Concurrent changes get distinct, gap-free ids and per-repository generations with no
    /// duplicate: from two store instances on PostgreSQL (two replicas), from one on SQLite
    /// (one process owns the file).
    @Test(arguments: StoreBackend.available)
    func concurrentWritersGetGapFreeIds(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let first = try StageGuardTests.store(opened)
        let second = backend == .postgres ? try opened.reopen() : first
        let stores = [first, second]
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            _ = try? stores[index % 2].insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.\(index)"),
                                                   audit: Self.audit(.upload, .active))
        }
        let events = try first.events(after: 0, limit: 100)
        #expect(events.map(\.id) == Array(1...16))
        #expect(Set(events.map(\.generation)) == Set(1...16))
    }
}

/// The pure mapping from audited actions to journal types.
@Suite struct ChangeEventTypeTests {
    @Test func auditedActionsMapToTheirEventTypes() {
        #expect(ChangeEventType(action: .upload, outcome: .active) == .chartPublished)
        #expect(ChangeEventType(action: .supersede, outcome: .active) == .chartPublished)
        #expect(ChangeEventType(action: .provenance, outcome: .published) == .chartPublished)
        #expect(ChangeEventType(action: .provenance, outcome: .stored) == .chartProvenanceAttached)
        #expect(ChangeEventType(action: .overwrite, outcome: .active) == .chartOverwritten)
        #expect(ChangeEventType(action: .stage, outcome: .dropped) == .chartStagingDropped)
        #expect(ChangeEventType(action: .revoke, outcome: .soft) == .signerRevoked)
        #expect(ChangeEventType(action: .upload, outcome: .unchanged) == nil)
        #expect(ChangeEventType(action: .authenticate, outcome: .denied) == nil)
        #expect(ChangeEventType(action: .token, outcome: .revoked) == nil)
    }

    @Test func trustWideEntriesCarryNoRepository() {
        #expect(JournalEntry(type: .signerRevoked, repository: "stable", fingerprint: "A").repository == nil)
        #expect(JournalEntry(type: .signerTrusted, repository: "stable", fingerprint: "A").repository == "stable")
        // A subkey revocation is audited alone: still journaled; a refused stage renewal is not.
        let subkey = AuditEvent(at: Date(), repository: nil, actor: "admin", action: .revoke, outcome: .hard, subject: "A")
        #expect(JournalEntry.alone(subkey)?.type == .signerRevoked)
        let renewal = AuditEvent(at: Date(), repository: "stable", actor: "ci", action: .upload, outcome: .rejected)
        #expect(JournalEntry.alone(renewal) == nil)
    }
}

/// Review finding F3 (#14): a publish re-checks, inside its own transaction, that the signer its
/// passing verdict names is still trusted and not revoked (the verdict was judged before, maybe
/// on another replica than a revocation).
@Suite struct ChangedSignerTests {
    static func verdict(signedAt: Date) -> ProvenanceVerdictRecord {
        ProvenanceVerdictRecord(repository: "stable", name: "demo", version: "1.0.0", signerFingerprint: "AAAA",
                                signedAt: signedAt, passed: true, checks: "{}", createdAt: Date())
    }

    @Test(arguments: StoreBackend.available)
    func aPublishWhoseSignerWasRevokedOrDistrustedMeanwhileIsRefused(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = try StageGuardTests.store(opened)
        let signedAt = Date(timeIntervalSince1970: 1_700_000_000)
        try store.upsertSigner(ChangeJournalTests.signer("AAAA"))
        // Not trusted for the repository (distrusted meanwhile): refused.
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: nil,
                                  verdict: Self.verdict(signedAt: signedAt), contentVerdict: nil)
        }
        _ = try store.trust(RepositoryTrustRecord(repository: "stable", fingerprint: "AAAA", addedAt: Date(), addedBy: "a"),
                            audit: nil)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.0"), audit: nil,
                                  verdict: Self.verdict(signedAt: signedAt), contentVerdict: nil)
        // Retired (soft) after the signature: still valid; before it: refused.
        try store.recordRevocation("AAAA", at: signedAt.addingTimeInterval(60), kind: .soft, audit: nil)
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.1"), audit: nil,
                                  verdict: Self.verdict(signedAt: signedAt), contentVerdict: nil)
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.2"), audit: nil,
                                  verdict: Self.verdict(signedAt: signedAt.addingTimeInterval(120)), contentVerdict: nil)
        }
        // Compromised (hard): every signature refused.
        try store.recordRevocation("AAAA", at: signedAt.addingTimeInterval(60), kind: .hard, audit: nil)
        #expect(throws: StorageError.self) {
            try store.insertChart(SQLiteMetadataStoreTests.record("demo", "1.0.3"), audit: nil,
                                  verdict: Self.verdict(signedAt: signedAt), contentVerdict: nil)
        }
        #expect(try store.chart(repository: "stable", name: "demo", version: "1.0.3") == nil)
    }
}
