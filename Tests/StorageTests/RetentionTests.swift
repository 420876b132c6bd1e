import Foundation
import GRDB
@testable import Storage
import Testing

/// Retention at the store (`pruneHistory`) and the referenced-digests query of the orphan-blob
/// sweep, on a real SQLite file with an injected clock (#16).
@Suite struct RetentionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let cutoff = now.addingTimeInterval(-365 * 86_400)
    static let old = cutoff.addingTimeInterval(-60)
    static let recent = cutoff.addingTimeInterval(60)

    static func audit(at date: Date) -> AuditEvent {
        AuditEvent(at: date, repository: nil, actor: "anonymous", action: .authenticate, outcome: .denied, subject: "10.0.0.1")
    }

    static func provenanceVerdict(at date: Date) -> ProvenanceVerdictRecord {
        ProvenanceVerdictRecord(repository: "stable", name: "demo", version: "1.0.0", signerFingerprint: nil, signedAt: nil,
                                passed: false, checks: "{}", createdAt: date)
    }

    static func contentVerdict(at date: Date) -> ContentVerdictRecord {
        ContentVerdictRecord(repository: "stable", name: "demo", version: "1.0.0", passed: false, refused: true,
                             verdict: "{}", createdAt: date)
    }

    static func count(_ store: SQLiteMetadataStore, _ table: String) throws -> Int {
        try store.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    @Test func oldHistoryGoesAndWhatAStoredChartLinksToStays() throws {
        let directory = try TemporaryDirectory()
        let store = try StageGuardTests.store(directory)
        // A chart stored long ago, with the verdicts that let it in: kept whatever their age.
        _ = try store.insertChart(SQLiteMetadataStoreTests.record("demo", "0.9.0"), audit: Self.audit(at: Self.old),
                                  verdict: Self.provenanceVerdict(at: Self.old), contentVerdict: Self.contentVerdict(at: Self.old))
        // Refused uploads: unlinked verdicts, old and recent.
        try store.appendVerdict(Self.provenanceVerdict(at: Self.old), audit: Self.audit(at: Self.old))
        try store.appendVerdict(Self.provenanceVerdict(at: Self.recent), audit: Self.audit(at: Self.recent))
        try store.appendContentVerdict(Self.contentVerdict(at: Self.old), audit: Self.audit(at: Self.old))
        try store.appendContentVerdict(Self.contentVerdict(at: Self.recent), audit: Self.audit(at: Self.recent))

        #expect(try store.pruneHistory(olderThan: Self.cutoff, limit: 100) == 5)  // 2 verdicts, 3 audit rows
        #expect(try store.pruneHistory(olderThan: Self.cutoff, limit: 100) == 0)
        #expect(try Self.count(store, "provenance_verdicts") == 2)
        #expect(try Self.count(store, "content_verdicts") == 2)
        #expect(try store.auditEvents(AuditQuery()).map(\.at) == [Self.recent, Self.recent])
        let chart = try #require(try store.chart(repository: "stable", name: "demo", version: "0.9.0"))
        #expect(try store.verdict(chartVersionID: try #require(chart.id))?.createdAt == Self.old)
        let content = try store.contentVerdicts(repository: "stable", name: "demo", version: "1.0.0")
        #expect(content.map(\.createdAt) == [Self.recent, Self.old])
        #expect(content.last?.chartVersionID == chart.id)
    }

    /// Each call is one bounded transaction, oldest first: a caller repeats until a short batch.
    @Test func pruningRunsInBoundedBatchesOldestFirst() throws {
        let directory = try TemporaryDirectory()
        let store = try StageGuardTests.store(directory)
        for minute in 0..<25 { try store.appendAudit(Self.audit(at: Self.old.addingTimeInterval(Double(-minute * 60)))) }
        try store.appendAudit(Self.audit(at: Self.recent))
        #expect(try store.pruneHistory(olderThan: Self.cutoff, limit: 10) == 10)
        // The ten oldest went first: the newest old rows are still there.
        let left = try store.auditEvents(AuditQuery(limit: 100)).map(\.at)
        #expect(left.count == 16)
        #expect(left.contains(Self.old))
        #expect(!left.contains(Self.old.addingTimeInterval(-24 * 60)))
        #expect(try store.pruneHistory(olderThan: Self.cutoff, limit: 10) == 10)
        #expect(try store.pruneHistory(olderThan: Self.cutoff, limit: 10) == 5)
        #expect(try store.auditEvents(AuditQuery()).map(\.at) == [Self.recent])
    }

    /// The batch query reads an index, not a sort of the whole table (it holds the writer).
    @Test func batchesAreFoundThroughIndexes() throws {
        let directory = try TemporaryDirectory()
        let store = try StageGuardTests.store(directory)
        for table in ["provenance_verdicts", "content_verdicts"] {
            let plan = try store.database.read { db in
                try Row.fetchAll(db, sql: """
                    EXPLAIN QUERY PLAN SELECT id FROM \(table) WHERE chartVersionID IS NULL AND createdAt < ?
                    ORDER BY createdAt, id LIMIT 10
                    """, arguments: [Self.cutoff]).map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
            }
            #expect(plan.contains("unlinked_by_age"), "\(table): \(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(table): \(plan)")
        }
    }

    @Test func referencedDigestsNameChartsAndProvsInEveryStatus() throws {
        let directory = try TemporaryDirectory()
        let store = try StageGuardTests.store(directory)
        var active = SQLiteMetadataStoreTests.record("a", "1.0.0")
        active.digest = String(repeating: "1", count: 64)
        active.provenanceDigest = String(repeating: "2", count: 64)
        var deleted = SQLiteMetadataStoreTests.record("b", "1.0.0", status: .deleted)
        deleted.digest = String(repeating: "3", count: 64)
        var staged = SQLiteMetadataStoreTests.record("c", "1.0.0", status: .pending)
        staged.digest = String(repeating: "4", count: 64)
        for record in [active, deleted, staged] { _ = try store.insertChart(record, audit: nil) }
        #expect(try store.referencedBlobDigests() == Set(["1", "2", "3", "4"].map { String(repeating: $0, count: 64) }))
        #expect(try store.isBlobReferenced(String(repeating: "2", count: 64)))
    }
}
