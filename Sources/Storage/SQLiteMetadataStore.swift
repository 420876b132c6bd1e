import Foundation
import GRDB

/// The embedded metadata store: one SQLite file in WAL mode, schema managed by versioned migrations
/// (`+Migrations`); charts here, the audit log and signer trust in their own files.
public final class SQLiteMetadataStore: MetadataStore {
    let database: DatabasePool
    /// Checkpoints the WAL away from the commits (`WALCheckpointer`).
    let checkpointer: WALCheckpointer
    /// `beginExclusiveJob`: one process owns the file, so jobs exclude each other in memory.
    let jobLocks = InProcessJobLocks()

    public init(path: String) throws(StorageError) {
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            configuration.prepareDatabase { db in
                // WAL (set by DatabasePool) plus FULL sync: a commit that returned is on disk.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
            }
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
            checkpointer = try WALCheckpointer(path: path)
        } catch {
            throw StorageError(.io, "cannot open metadata database \(path): \(error)")
        }
    }

    deinit {
        checkpointer.stop()
    }

    /// Journal mode as SQLite reports it (tests check for "wal").
    public func journalMode() throws -> String {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    public func ensureRepository(_ name: String) throws(StorageError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO repositories (name, createdAt) VALUES (?, ?)",
                           arguments: [name, Date()])
        }
    }

    public func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                            contentVerdict: ContentVerdictRecord?, manifest: OCIManifestRecord?) throws(StorageError)
        -> ChartVersionRecord {
        try write { db in
            var record = record
            try Self.refuseChangedSigner(verdict, repository: record.repository, db)
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
            try Self.journal(.chart(record.name, record.version, repository: record.repository, reaching: record.status,
                                    audit: audit), db)
            _ = try manifest.map { manifest in try Self.insertManifest(manifest, db) }
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

    /// Refuses a publish whose passing verdict names a signer revoked (hard, or soft before the
    /// signature) or no longer trusted for the repository, as the store says now (the verdict
    /// was judged before this write transaction; `PostgresMetadataStore.refuseChangedSigner`).
    static func refuseChangedSigner(_ verdict: ProvenanceVerdictRecord?, repository: String, _ db: Database) throws {
        guard let verdict, verdict.passed, let fingerprint = verdict.signerFingerprint else { return }
        let changed = StorageError(.conflict, "the signer \(fingerprint) of \(verdict.name) \(verdict.version) was revoked "
            + "or distrusted while the upload was being checked; upload it again to have it judged anew")
        guard let signer = try SignerRecord.fetchOne(db, key: fingerprint) else { throw changed }
        if let revokedAt = signer.revokedAt,
           signer.revocationKind != .soft || (verdict.signedAt ?? revokedAt) >= revokedAt { throw changed }
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM repository_trust WHERE repository = ? AND fingerprint = ?)",
                                arguments: [repository, fingerprint]) == true else { throw changed }
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

    public func charts(repository: String, statuses: Set<ChartStatus>, nameContains: String?, offset: Int, limit: Int)
        throws(StorageError) -> [ChartVersionRecord] {
        try read { db in
            var request = ChartVersionRecord
                .filter(Column("repository") == repository && statuses.map(\.rawValue).contains(Column("status")))
            if let nameContains, !nameContains.isEmpty {
                // instr, not LIKE: the search text needs no escaping of % and _.
                request = request.filter(sql: "instr(lower(name), lower(?)) > 0", arguments: [nameContains])
            }
            return try request.order(Column("name"), Column("id")).limit(max(0, limit), offset: max(0, offset)).fetchAll(db)
        }
    }

    public func replaceChart(id: Int64, expecting: ChartStatus?, with record: ChartVersionRecord, audit: AuditEvent?,
                             verdict: ProvenanceVerdictRecord?, contentVerdict: ContentVerdictRecord?,
                             manifest: OCIManifestRecord?) throws(StorageError) -> ChartVersionRecord {
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
            try Self.refuseChangedSigner(verdict, repository: record.repository, db)
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
            try Self.journal(.chart(record.name, record.version, repository: record.repository, reaching: record.status,
                                    audit: audit), db)
            // Manifests of the replaced bytes would never be served again: they go with them.
            try db.execute(sql: """
                DELETE FROM oci_manifests WHERE repository = ? AND name = ? AND version = ?
                  AND NOT (chartDigest = ? AND provenanceDigest IS ?)
                """, arguments: [record.repository, record.name, record.version, record.digest, record.provenanceDigest])
            _ = try manifest.map { manifest in try Self.insertManifest(manifest, db) }
            return record
        }
    }

    public func setProvenance(id: Int64, digest: String, expecting: ChartVersionRecord, activate: Bool,
                              audit: AuditEvent?, verdict: ProvenanceVerdictRecord?) throws(StorageError) {
        try write { db in
            try Self.refuseChangedSigner(verdict, repository: expecting.repository, db)
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
            try Self.journal(.chart(expecting.name, expecting.version, repository: expecting.repository,
                                    reaching: activate ? .active : expecting.status, audit: audit), db)
        }
    }

    public func deleteChart(id: Int64, onlyIf expected: ChartVersionRecord?, audit: AuditEvent?) throws(StorageError) -> Bool {
        try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT repository, name, version FROM chart_versions WHERE id = ?",
                                       arguments: [id])
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
            if let row {
                try Self.journal(.chart(row["name"], row["version"], repository: row["repository"], reaching: nil,
                                        audit: audit), db)
            }
            return true
        }
    }

    public func isBlobReferenced(_ digest: String) throws(StorageError) -> Bool {
        try read { db in
            // OCI config blobs and uploaded blobs not yet swept count too.
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM chart_versions WHERE digest = ? OR provenanceDigest = ?)
                    OR EXISTS (SELECT 1 FROM oci_manifests WHERE configDigest = ?)
                    OR EXISTS (SELECT 1 FROM oci_blob_uploads WHERE digest = ?)
                """, arguments: [digest, digest, digest, digest]) ?? false
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
            if status == .deleted {
                // A deleted version has no tag: its manifests go with it.
                try db.execute(sql: """
                    DELETE FROM oci_manifests WHERE EXISTS (SELECT 1 FROM chart_versions AS c WHERE c.id = ?
                      AND c.repository = oci_manifests.repository AND c.name = oci_manifests.name
                      AND c.version = oci_manifests.version)
                    """, arguments: [id])
            }
            if var audit { try audit.insert(db) }
            if let row = try Row.fetchOne(db, sql: "SELECT repository, name, version FROM chart_versions WHERE id = ?",
                                          arguments: [id]) {
                try Self.journal(.chart(row["name"], row["version"], repository: row["repository"], reaching: status,
                                        audit: audit), db)
            }
        }
    }

    /// Every row in `statuses`, one `Codable` record at a time: the reference `bulkLoadCharts` is
    /// checked against (`BulkLoadTests`).
    public func allCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord] {
        try read { db in
            try ChartVersionRecord
                .filter(statuses.map(\.rawValue).contains(Column("status")))
                .order(Column("repository"), Column("name"), Column("id"))
                .fetchAll(db)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            defer { checkpointer.committed() }
            return try database.write(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "metadata write failed: \(error)")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try database.read(body)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "metadata read failed: \(error)")
        }
    }
}
