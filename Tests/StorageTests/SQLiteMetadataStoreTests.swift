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

    @Test(arguments: StoreBackend.available)
    func databaseEnforcesUniqueVersions(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
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

    @Test(arguments: StoreBackend.available)
    func unknownRepositoryIsRefusedByForeignKey(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        #expect(throws: StorageError.self) { try store.insertChart(Self.record("demo", "1.0.0", repository: "nowhere"), audit: nil) }
    }

    @Test(arguments: StoreBackend.available)
    func statusesAndAudit(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        try store.ensureRepository("stable")
        let audit = AuditEvent(at: Date(), repository: "stable", actor: "user:ci", action: .upload, outcome: .pending,
                               subject: "demo-1.0.0")
        let pending = try store.insertChart(Self.record("demo", "1.0.0", status: .pending), audit: audit)
        #expect(try store.charts(repository: "stable", statuses: [.active]).isEmpty)
        try store.updateStatus(id: try #require(pending.id), to: .quarantined, reason: "key revoked")
        let fetched = try #require(try store.chart(repository: "stable", name: "demo", version: "1.0.0"))
        #expect(fetched.status == .quarantined)
        #expect(fetched.statusReason == "key revoked")
        #expect(try store.auditEvents(repository: "stable", limit: 10).map(\.outcome) == [.pending])
        #expect(throws: StorageError.self) { try store.updateStatus(id: 999, to: .active, reason: nil) }
    }

    @Test(arguments: StoreBackend.available)
    func dataSurvivesReopening(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        try opened.store.ensureRepository("stable")
        _ = try opened.store.insertChart(Self.record("demo", "1.0.0"), audit: nil)
        let reopened = try opened.reopen()
        #expect(try reopened.chart(repository: "stable", name: "demo", version: "1.0.0")?.uploader == "user:ci")
    }

    @Test(arguments: StoreBackend.available)
    func signerTrustVerdictsAndSignedCharts(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        try store.ensureRepository("stable")
        try store.ensureRepository("team-a")
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let fingerprint = String(repeating: "A", count: 40)
        try store.upsertSigner(SignerRecord(fingerprint: fingerprint, userIDs: ["CI <ci@example>"], algorithm: "ed25519",
                                            created: now, expires: nil, importedAt: now))
        #expect(try store.trust(RepositoryTrustRecord(repository: "stable", fingerprint: fingerprint, addedAt: now,
                                                      addedBy: "config"), audit: nil))
        #expect(try !store.trust(RepositoryTrustRecord(repository: "stable", fingerprint: fingerprint, addedAt: now,
                                                       addedBy: "config"), audit: nil))
        #expect(try store.trustedRepositories(fingerprint) == ["stable"])

        func verdict(passed: Bool) -> ProvenanceVerdictRecord {
            ProvenanceVerdictRecord(repository: "stable", name: "demo", version: "1.0.0", signerFingerprint: fingerprint,
                                    signedAt: now, passed: passed, checks: "{}", createdAt: now)
        }
        // A rejection links to nothing; an accepted chart's verdict is written with its row.
        try store.appendVerdict(verdict(passed: false))
        let chart = try store.insertChart(Self.record("demo", "1.0.0"), audit: nil, verdict: verdict(passed: true))
        let id = try #require(chart.id)
        #expect(try store.verdict(chartVersionID: id)?.passed == true)
        #expect(try store.signedCharts(by: fingerprint, repository: nil, statuses: [.active]).map(\.chart.id) == [id])
        #expect(try store.signedCharts(by: fingerprint, repository: "team-a", statuses: [.active]).isEmpty)
        #expect(try store.signedCharts(by: nil, repository: nil, statuses: [.quarantined]).isEmpty)

        // A soft revocation is kept across a refresh of the key's description.
        try store.recordRevocation(fingerprint, at: now, kind: .soft, audit: nil)
        try store.upsertSigner(SignerRecord(fingerprint: fingerprint, userIDs: ["CI"], algorithm: "ed25519", created: now,
                                            expires: nil, importedAt: now))
        let signer = try #require(try store.signer(fingerprint))
        #expect(signer.revocationKind == .soft && signer.revokedAt == now && signer.userIDList == ["CI"])
        #expect(throws: StorageError.self) {
            try store.recordRevocation(String(repeating: "B", count: 40), at: now, kind: .hard, audit: nil)
        }
        // Never downgraded: a later soft record keeps the hard one and its date; the same kind
        // keeps the earliest date; hard replaces soft.
        let earlier = now.addingTimeInterval(-3_600)
        let later = now.addingTimeInterval(3_600)
        func revocation() throws -> String? {
            try store.signer(fingerprint).map { "\($0.revocationKind?.rawValue ?? "-")@\($0.revokedAt.map { "\($0)" } ?? "-")" }
        }
        try store.recordRevocation(fingerprint, at: later, kind: .soft, audit: nil)
        #expect(try store.signer(fingerprint)?.revokedAt == now)
        try store.recordRevocation(fingerprint, at: later, kind: .hard, audit: nil)
        #expect(try revocation() == "hard@\(later)")
        try store.recordRevocation(fingerprint, at: earlier, kind: .soft, audit: nil)
        #expect(try revocation() == "hard@\(later)")
        try store.recordRevocation(fingerprint, at: now, kind: .hard, audit: nil)
        #expect(try revocation() == "hard@\(now)")
        #expect(try store.distrust(repository: "stable", fingerprint: fingerprint, audit: nil))
        #expect(try !store.distrust(repository: "stable", fingerprint: fingerprint, audit: nil))

        // Deleting a row (an expired stage) releases its blob reference.
        #expect(try store.isBlobReferenced(chart.digest))
        try store.deleteChart(id: id, audit: AuditEvent(at: now, repository: "stable", actor: "system", action: .stage,
                                                         outcome: .expired))
        #expect(try !store.isBlobReferenced(chart.digest))
        #expect(try store.auditEvents(AuditQuery(action: "stage")).map(\.outcome) == [.expired])
    }
}
