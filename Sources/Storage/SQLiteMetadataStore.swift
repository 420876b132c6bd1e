import Foundation
import GRDB

/// The embedded metadata store: one SQLite file in WAL mode, schema managed by versioned migrations.
public final class SQLiteMetadataStore: MetadataStore {
    let database: DatabasePool

    public init(path: String) throws(StorageError) {
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            configuration.prepareDatabase { db in
                // WAL (set by DatabasePool) plus FULL sync: a commit that returned is on disk.
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StorageError(.io, "cannot open metadata database \(path): \(error)")
        }
    }

    /// Journal mode as SQLite reports it (tests check for "wal").
    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "repositories") { table in
                table.primaryKey("name", .text)
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "chart_versions") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("repository", .text).notNull().references("repositories", onDelete: .restrict)
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("digest", .text).notNull()
                table.column("size", .integer).notNull()
                table.column("created", .datetime).notNull()
                table.column("uploader", .text).notNull()
                table.column("status", .text).notNull()
                    .check(sql: "status IN ('active', 'pending', 'quarantined', 'deleted')")
                table.column("statusReason", .text)
                table.column("metadata", .text).notNull()
                table.column("provenanceDigest", .text)
                table.uniqueKey(["repository", "name", "version"])
            }
            try db.create(index: "chart_versions_by_status", on: "chart_versions", columns: ["repository", "status"])
            try db.create(table: "signers") { table in
                table.primaryKey("fingerprint", .text)
                table.column("userIDs", .text).notNull()
                table.column("algorithm", .text).notNull()
                table.column("created", .datetime)
                table.column("expires", .datetime)
                table.column("revokedAt", .datetime)
                table.column("revocationKind", .text).check(sql: "revocationKind IN ('hard', 'soft')")
                table.column("importedAt", .datetime).notNull()
            }
            try db.create(table: "repository_trust") { table in
                table.column("repository", .text).notNull().references("repositories", onDelete: .cascade)
                table.column("fingerprint", .text).notNull().references("signers", onDelete: .cascade)
                table.column("addedAt", .datetime).notNull()
                table.column("addedBy", .text).notNull()
                table.primaryKey(["repository", "fingerprint"])
            }
            try db.create(table: "provenance_verdicts") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("chartVersionID", .integer).references("chart_versions", onDelete: .cascade)
                table.column("repository", .text).notNull()
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("signerFingerprint", .text)
                table.column("signedAt", .datetime)
                table.column("passed", .boolean).notNull()
                table.column("checks", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "audit_events") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .datetime).notNull().indexed()
                table.column("repository", .text)
                table.column("actor", .text).notNull()
                table.column("action", .text).notNull()
                table.column("outcome", .text).notNull()
                table.column("subject", .text)
                table.column("detail", .text)
            }
        }
        migrator.registerMigration("v2-verdict-lookup") { db in
            try db.create(index: "provenance_verdicts_by_chart", on: "provenance_verdicts", columns: ["chartVersionID"])
        }
        migrator.registerMigration("v3-content-verdicts") { db in
            try db.create(table: "content_verdicts") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("chartVersionID", .integer).references("chart_versions", onDelete: .cascade).indexed()
                table.column("repository", .text).notNull()
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("passed", .boolean).notNull()
                table.column("refused", .boolean).notNull()
                table.column("verdict", .text).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(index: "content_verdicts_by_chart", on: "content_verdicts", columns: ["repository", "name", "version"])
        }
        migrator.registerMigration("v4-live-file-names") { db in try uniqueLiveFileNames(db) }
        migrator.registerMigration("v5-file-names-case-insensitive") { db in try uniqueLiveFileNames(db) }
        return migrator
    }

    /// Statuses whose rows own their file name (`N-V.tgz`): served or withheld. A stage owns
    /// nothing until it is published, so a keyless writer cannot squat a name by staging it.
    static let liveStatuses = "('active', 'quarantined')"
    /// A row's file name as the unique index compares it: Helm caches charts on file systems
    /// that may ignore case, so `App-1.0.0.tgz` and `app-1.0.0.tgz` are one file.
    static let fileNameKey = "lower(name || '-' || version)"

    /// `app` 1.0.0-1.2.3 and `app-1.0.0` 1.2.3 are both app-1.0.0-1.2.3.tgz: one download, one
    /// .prov. Rows that already collide keep one live row (active before quarantined, then the
    /// oldest); the others are marked deleted (bytes kept) so the index can exist. One GROUP BY
    /// pass, not a lookup per row.
    static func uniqueLiveFileNames(_ db: Database) throws {
        try db.execute(sql: "DROP INDEX IF EXISTS chart_versions_live_file_name")
        let rank = "((status <> 'active') * 4611686018427387904 + id)"
        try db.execute(sql: """
            UPDATE chart_versions SET status = 'deleted',
                statusReason = 'file name already used by another chart (migration)'
            WHERE status IN \(liveStatuses) AND id NOT IN (
                SELECT MIN(\(rank)) % 4611686018427387904 FROM chart_versions WHERE status IN \(liveStatuses)
                GROUP BY repository, \(fileNameKey))
            """)
        try db.execute(sql: """
            CREATE UNIQUE INDEX chart_versions_live_file_name ON chart_versions (repository, \(fileNameKey))
            WHERE status IN \(liveStatuses)
            """)
    }

    public func ensureRepository(_ name: String) throws(StorageError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO repositories (name, createdAt) VALUES (?, ?)",
                           arguments: [name, Date()])
        }
    }

    public func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                            contentVerdict: ContentVerdictRecord?) throws(StorageError) -> ChartVersionRecord {
        try write { db in
            var record = record
            try Self.refuseStageOfTakenFileName(record, db)
            do {
                try record.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw try Self.conflict(for: record, db)
            }
            if var audit {
                try audit.insert(db)
            }
            try Self.link(verdict, to: record.id, db)
            try Self.link(contentVerdict, to: record.id, db)
            return record
        }
    }

    /// Why `record` cannot be stored: the live row that owns its file name under another chart
    /// name and version, or the row of the same version.
    private static func conflict(for record: ChartVersionRecord, _ db: Database) throws -> StorageError {
        try fileNameConflict(for: record, db)
            ?? StorageError(.conflict, "\(record.name) \(record.version) already exists in repository '\(record.repository)'")
    }

    /// The `.fileNameTaken` error naming the live row, under another chart name or version, that
    /// owns `record`'s file name (compared without case); nil when there is none.
    static func fileNameConflict(for record: ChartVersionRecord, _ db: Database) throws -> StorageError? {
        let fileName = "\(record.name)-\(record.version)"
        guard let owner = try ChartVersionRecord.fetchOne(db, sql: """
            SELECT * FROM chart_versions WHERE repository = ? AND \(fileNameKey) = lower(?)
              AND status IN \(liveStatuses) AND NOT (name = ? AND version = ?)
            """, arguments: [record.repository, fileName, record.name, record.version]) else { return nil }
        return StorageError(.fileNameTaken, "\(fileName).tgz is already the file of chart '\(owner.name)' version \(owner.version) "
            + "in this repository; chart '\(record.name)' version \(record.version) would share its download and .prov")
    }

    /// A stage is outside the unique index, but one whose file name a live row already owns could
    /// never be published: refuse it when it is staged, not only when its prov arrives.
    private static func refuseStageOfTakenFileName(_ record: ChartVersionRecord, _ db: Database) throws {
        guard record.status == .pending, let conflict = try fileNameConflict(for: record, db) else { return }
        throw conflict
    }

    private static func link(_ verdict: ProvenanceVerdictRecord?, to id: Int64?, _ db: Database) throws {
        guard var verdict else { return }
        verdict.chartVersionID = id
        try verdict.insert(db)
    }

    private static func link(_ verdict: ContentVerdictRecord?, to id: Int64?, _ db: Database) throws {
        guard var verdict else { return }
        verdict.chartVersionID = id
        try verdict.insert(db)
    }

    public func chart(repository: String, name: String, version: String) throws(StorageError) -> ChartVersionRecord? {
        try read { db in
            try ChartVersionRecord
                .filter(Column("repository") == repository && Column("name") == name && Column("version") == version)
                .fetchOne(db)
        }
    }

    public func charts(repository: String, statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord] {
        try read { db in
            try ChartVersionRecord
                .filter(Column("repository") == repository && statuses.map(\.rawValue).contains(Column("status")))
                .order(Column("name"), Column("id"))
                .fetchAll(db)
        }
    }

    public func replaceChart(id: Int64, expecting: ChartStatus?, with record: ChartVersionRecord, audit: AuditEvent?,
                             verdict: ProvenanceVerdictRecord?, contentVerdict: ContentVerdictRecord?)
        throws(StorageError) -> ChartVersionRecord {
        try write { db in
            var record = record
            record.id = id
            if let expecting {
                // Inside the write transaction: nothing changes the row between this read and the update.
                let current = try String.fetchOne(db, sql: "SELECT status FROM chart_versions WHERE id = ?", arguments: [id])
                guard current == expecting.rawValue else {
                    throw StorageError(.conflict, "\(record.name) \(record.version) changed while it was being replaced")
                }
            }
            try Self.refuseStageOfTakenFileName(record, db)
            do {
                try record.update(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw try Self.conflict(for: record, db)
            }
            // The replaced bytes' verdicts stay as history but no longer speak for this row.
            try db.execute(sql: "UPDATE provenance_verdicts SET chartVersionID = NULL WHERE chartVersionID = ?", arguments: [id])
            try db.execute(sql: "UPDATE content_verdicts SET chartVersionID = NULL WHERE chartVersionID = ?", arguments: [id])
            if var audit { try audit.insert(db) }
            try Self.link(verdict, to: id, db)
            try Self.link(contentVerdict, to: id, db)
            return record
        }
    }

    public func setProvenance(id: Int64, digest: String, expecting: ChartVersionRecord, activate: Bool,
                              audit: AuditEvent?, verdict: ProvenanceVerdictRecord?) throws(StorageError) {
        try write { db in
            // Only the row the prov was verified against: same status and bytes. A row superseded,
            // overwritten, quarantined or deleted meanwhile is left alone.
            let guardClause = "WHERE id = ? AND status = ? AND digest = ?"
            let arguments: StatementArguments = [digest, id, expecting.status.rawValue, expecting.digest]
            do {
                if activate {
                    try db.execute(sql: "UPDATE chart_versions SET provenanceDigest = ?, status = 'active', statusReason = NULL "
                                   + guardClause, arguments: arguments)
                } else {
                    try db.execute(sql: "UPDATE chart_versions SET provenanceDigest = ? " + guardClause, arguments: arguments)
                }
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw try Self.conflict(for: expecting, db)
            }
            if db.changesCount == 0 {
                let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM chart_versions WHERE id = ?)",
                                               arguments: [id]) ?? false
                throw exists
                    ? StorageError(.conflict, "\(expecting.name) \(expecting.version) changed while its provenance was checked")
                    : StorageError(.notFound, "\(expecting.name) \(expecting.version) no longer exists")
            }
            if var audit { try audit.insert(db) }
            try Self.link(verdict, to: id, db)
        }
    }

    public func deleteChart(id: Int64, onlyIf expected: ChartVersionRecord?, audit: AuditEvent?) throws(StorageError) -> Bool {
        try write { db in
            if let expected {
                // The very row that was read: a stage re-created since (same id after a supersede,
                // or a newer upload time) stays.
                try db.execute(sql: "DELETE FROM chart_versions WHERE id = ? AND status = ? AND created = ? AND digest = ?",
                               arguments: [id, expected.status.rawValue, expected.created, expected.digest])
                guard db.changesCount > 0 else { return false }
            } else {
                try db.execute(sql: "DELETE FROM chart_versions WHERE id = ?", arguments: [id])
            }
            if var audit { try audit.insert(db) }
            return true
        }
    }

    public func isBlobReferenced(_ digest: String) throws(StorageError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM chart_versions WHERE digest = ? OR provenanceDigest = ?)",
                              arguments: [digest, digest]) ?? false
        }
    }

    public func updateStatus(id: Int64, to status: ChartStatus, reason: String?) throws(StorageError) {
        try updateStatus(id: id, to: status, reason: reason, audit: nil)
    }

    public func updateStatus(id: Int64, to status: ChartStatus, reason: String?, audit: AuditEvent?) throws(StorageError) {
        try write { db in
            try db.execute(sql: "UPDATE chart_versions SET status = ?, statusReason = ? WHERE id = ?",
                           arguments: [status.rawValue, reason, id])
            if db.changesCount == 0 { throw StorageError(.notFound, "chart version \(id) does not exist") }
            if var audit { try audit.insert(db) }
        }
    }

    public func allCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord] {
        try read { db in
            try ChartVersionRecord
                .filter(statuses.map(\.rawValue).contains(Column("status")))
                .order(Column("repository"), Column("name"), Column("id"))
                .fetchAll(db)
        }
    }

    public func appendAudit(_ event: AuditEvent) throws(StorageError) {
        try write { db in
            var event = event
            try event.insert(db)
        }
    }

    public func auditEvents(_ query: AuditQuery) throws(StorageError) -> [AuditEvent] {
        try read { db in
            var request = AuditEvent.order(Column("id").desc).limit(query.limit)
            if let repository = query.repository { request = request.filter(Column("repository") == repository) }
            if let outcome = query.outcome { request = request.filter(Column("outcome") == outcome) }
            if let action = query.action { request = request.filter(Column("action") == action) }
            if let since = query.since { request = request.filter(Column("at") >= since) }
            if let beforeID = query.beforeID { request = request.filter(Column("id") < beforeID) }
            return try request.fetchAll(db)
        }
    }

    // MARK: signer trust

    public func upsertSigner(_ signer: SignerRecord) throws(StorageError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO signers (fingerprint, userIDs, algorithm, created, expires, revokedAt, revocationKind, importedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(fingerprint) DO UPDATE SET userIDs = excluded.userIDs, algorithm = excluded.algorithm,
                    created = excluded.created, expires = excluded.expires
                """, arguments: [signer.fingerprint, signer.userIDs, signer.algorithm, signer.created, signer.expires,
                                 signer.revokedAt, signer.revocationKind?.rawValue, signer.importedAt])
        }
    }

    public func signer(_ fingerprint: String) throws(StorageError) -> SignerRecord? {
        try read { db in try SignerRecord.fetchOne(db, key: fingerprint) }
    }

    public func signers() throws(StorageError) -> [SignerRecord] {
        try read { db in try SignerRecord.order(Column("importedAt"), Column("fingerprint")).fetchAll(db) }
    }

    public func trust(_ trust: RepositoryTrustRecord, audit: AuditEvent?) throws(StorageError) -> Bool {
        try write { db in
            try trust.insert(db, onConflict: .ignore)
            let added = db.changesCount > 0
            if added, var audit { try audit.insert(db) }
            return added
        }
    }

    public func distrust(repository: String, fingerprint: String, audit: AuditEvent?) throws(StorageError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM repository_trust WHERE repository = ? AND fingerprint = ?",
                           arguments: [repository, fingerprint])
            let removed = db.changesCount > 0
            if removed, var audit { try audit.insert(db) }
            return removed
        }
    }

    public func trustedRepositories(_ fingerprint: String) throws(StorageError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT repository FROM repository_trust WHERE fingerprint = ? ORDER BY repository",
                                arguments: [fingerprint])
        }
    }

    public func recordRevocation(_ fingerprint: String, at: Date, kind: SignerRecord.RevocationKind, audit: AuditEvent?)
        throws(StorageError) {
        try write { db in
            try db.execute(sql: "UPDATE signers SET revokedAt = ?, revocationKind = ? WHERE fingerprint = ?",
                           arguments: [at, kind.rawValue, fingerprint])
            if db.changesCount == 0 { throw StorageError(.notFound, "signer \(fingerprint) is not known") }
            if var audit { try audit.insert(db) }
        }
    }

    public func appendVerdict(_ verdict: ProvenanceVerdictRecord) throws(StorageError) {
        try write { db in
            var verdict = verdict
            try verdict.insert(db)
        }
    }

    public func appendContentVerdict(_ verdict: ContentVerdictRecord, audit: AuditEvent?) throws(StorageError) {
        try write { db in
            var verdict = verdict
            try verdict.insert(db)
            if var audit { try audit.insert(db) }
        }
    }

    public func contentVerdicts(repository: String, name: String, version: String) throws(StorageError)
        -> [ContentVerdictRecord] {
        try read { db in
            try ContentVerdictRecord
                .filter(Column("repository") == repository && Column("name") == name && Column("version") == version)
                .order(Column("id").desc).fetchAll(db)
        }
    }

    public func verdict(chartVersionID: Int64) throws(StorageError) -> ProvenanceVerdictRecord? {
        try read { db in
            try ProvenanceVerdictRecord.filter(Column("chartVersionID") == chartVersionID)
                .order(Column("id").desc).fetchOne(db)
        }
    }

    public func signedCharts(by fingerprint: String?, repository: String?, statuses: Set<ChartStatus>)
        throws(StorageError) -> [SignedChart] {
        try read { db in
            var sql = """
                SELECT c.*, v.id AS v_id, v.chartVersionID AS v_chartVersionID, v.repository AS v_repository,
                       v.name AS v_name, v.version AS v_version, v.signerFingerprint AS v_signerFingerprint,
                       v.signedAt AS v_signedAt, v.passed AS v_passed, v.checks AS v_checks, v.createdAt AS v_createdAt
                FROM chart_versions c
                JOIN provenance_verdicts v ON v.id = (SELECT MAX(id) FROM provenance_verdicts WHERE chartVersionID = c.id)
                WHERE c.status IN (\(statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))
                """
            var arguments: StatementArguments = []
            if let fingerprint {
                sql += " AND v.signerFingerprint = ?"
                arguments += [fingerprint]
            }
            if let repository {
                sql += " AND c.repository = ?"
                arguments += [repository]
            }
            sql += " ORDER BY c.repository, c.name, c.id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                SignedChart(chart: try ChartVersionRecord(row: row), verdict: ProvenanceVerdictRecord(
                    id: row["v_id"], chartVersionID: row["v_chartVersionID"], repository: row["v_repository"],
                    name: row["v_name"], version: row["v_version"], signerFingerprint: row["v_signerFingerprint"],
                    signedAt: row["v_signedAt"], passed: row["v_passed"], checks: row["v_checks"],
                    createdAt: row["v_createdAt"]))
            }
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try database.write(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "metadata write failed: \(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try database.read(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "metadata read failed: \(error)")
        }
    }
}
