import Foundation
import PostgresNIO
import Storage

/// The metadata store on PostgreSQL, for several replicas on one database: the same contract as
/// `SQLiteMetadataStore` (`MetadataStore`), enforced by the same unique constraints, so racing
/// inserts from any replica get `.conflict`. Each change and its audit event and verdicts are
/// one transaction. Audit, trust and verdicts are in `+Audit` and `+Trust`, the schema in
/// `PostgresMigrations`, row decoding in `PostgresRows`.
public final class PostgresMetadataStore: MetadataStore {
    public let database: PostgresPool

    /// Applies pending schema migrations (under the advisory lock) before anything else.
    public init(database: PostgresPool) throws(StorageError) {
        self.database = database
        try PostgresMigrations.migrate(database)
    }

    /// The first key of the blobs' advisory locks (the second is the digest's hash).
    static let blobLockSpace: Int32 = 0x4357_626C

    /// Holds the advisory locks of the blobs a row is about to reference until the transaction
    /// ends, so that a blob delete on any replica waits for the row and then sees it.
    static func holdBlobs(_ digests: [String?], _ session: PostgresSession) throws(StorageError) {
        for digest in Set(digests.compactMap { $0 }).sorted() {
            try session.execute("SELECT pg_advisory_xact_lock_shared(\(blobLockSpace), hashtext(\(digest)))")
        }
    }

    /// Refuses a publish whose passing verdict names a signer revoked (hard, or soft before the
    /// signature) or no longer trusted for the repository, as the database says *now*: the
    /// verdict was judged before this transaction, perhaps on another replica than a revocation
    /// or distrust. `FOR SHARE` orders it against those changes' row locks: a revocation that
    /// commits first is seen here; one that waits commits after this row, and its re-evaluation
    /// lists it.
    static func refuseChangedSigner(_ verdict: ProvenanceVerdictRecord?, repository: String, _ session: PostgresSession)
        throws(StorageError) {
        guard let verdict, verdict.passed, let fingerprint = verdict.signerFingerprint else { return }
        let changed = StorageError(.conflict, "the signer \(fingerprint) of \(verdict.name) \(verdict.version) was revoked "
            + "or distrusted while the upload was being checked; upload it again to have it judged anew")
        guard let signer = try session.query("""
            SELECT revoked_at, revocation_kind FROM signers WHERE fingerprint = \(fingerprint) FOR SHARE
            """).first else { throw changed }
        let read = PostgresRows.Reader(signer)
        let revokedAt: Date? = try read("revoked_at")
        let kind: String? = try read("revocation_kind")
        if let revokedAt, kind != "soft" || (verdict.signedAt ?? revokedAt) >= revokedAt { throw changed }
        guard !(try session.query("""
            SELECT 1 FROM repository_trust WHERE repository = \(repository) AND fingerprint = \(fingerprint) FOR SHARE
            """).isEmpty) else { throw changed }
    }

    public func ensureRepository(_ name: String) throws(StorageError) {
        try database.withConnection { session throws(StorageError) in
            try session.execute("""
                INSERT INTO repositories (name, created_at) VALUES (\(name), \(Date())) ON CONFLICT (name) DO NOTHING
                """)
        }
    }

    public func insertChart(_ record: ChartVersionRecord, audit: AuditEvent?, verdict: ProvenanceVerdictRecord?,
                            contentVerdict: ContentVerdictRecord?, manifest: OCIManifestRecord?) throws(StorageError)
        -> ChartVersionRecord {
        try database.transaction { session throws(StorageError) in
            var record = record
            try Self.holdBlobs([record.digest, record.provenanceDigest], session)
            try Self.refuseChangedSigner(verdict, repository: record.repository, session)
            try Self.refuseStageOfTakenFileName(record, session)
            guard let inserted = try session.unlessUnique("""
                INSERT INTO chart_versions (repository, name, version, digest, size, created, uploader, status,
                                            status_reason, metadata, provenance_digest)
                VALUES (\(record.repository), \(record.name), \(record.version), \(record.digest), \(record.size),
                        \(record.created), \(record.uploader), \(record.status.rawValue), \(record.statusReason),
                        \(record.metadata), \(record.provenanceDigest))
                RETURNING id
                """), let row = inserted.rows.first else {
                throw try Self.conflict(for: record, session)
            }
            record.id = try PostgresRows.decode(row, Int64.self)
            try Self.insert(audit, session)
            try Self.link(verdict, to: record.id, session)
            try Self.link(contentVerdict, to: record.id, session)
            try Self.journal(.chart(record.name, record.version, repository: record.repository, reaching: record.status,
                                    audit: audit), session)
            if let manifest { _ = try Self.insertManifest(manifest, session) }
            return record
        }
    }

    /// Why `record` cannot be stored: the live row that owns its file name under another chart
    /// name and version, or the row of the same version.
    static func conflict(for record: ChartVersionRecord, _ session: PostgresSession) throws(StorageError) -> StorageError {
        try fileNameConflict(for: record, session)
            ?? StorageError(.conflict, "\(record.name) \(record.version) already exists in repository '\(record.repository)'")
    }

    /// The `.fileNameTaken` error naming the live row, under another chart name or version, that
    /// owns `record`'s file name (compared without case); nil when there is none.
    static func fileNameConflict(for record: ChartVersionRecord, _ session: PostgresSession) throws(StorageError)
        -> StorageError? {
        let fileName = "\(record.name)-\(record.version)"
        guard let row = try session.query("""
            SELECT name, version FROM chart_versions
            WHERE repository = \(record.repository) AND lower(name || '-' || version) = lower(\(fileName))
              AND status IN ('active', 'quarantined') AND NOT (name = \(record.name) AND version = \(record.version))
            LIMIT 1
            """).first else { return nil }
        let owner = PostgresRows.Reader(row)
        let ownerName: String = try owner("name")
        let ownerVersion: String = try owner("version")
        return StorageError(.fileNameTaken, "\(fileName).tgz is already the file of chart '\(ownerName)' version \(ownerVersion) "
            + "in this repository; chart '\(record.name)' version \(record.version) would share its download and .prov")
    }

    /// A stage owns no file name, but one whose file name a live row already owns could never be
    /// published: refused when it is staged (as in SQLite).
    private static func refuseStageOfTakenFileName(_ record: ChartVersionRecord, _ session: PostgresSession)
        throws(StorageError) {
        guard record.status == .pending, let conflict = try fileNameConflict(for: record, session) else { return }
        throw conflict
    }

    static func insert(_ audit: AuditEvent?, _ session: PostgresSession) throws(StorageError) {
        guard let audit else { return }
        try session.execute("""
            INSERT INTO audit_events (at, repository, actor, action, outcome, subject, detail)
            VALUES (\(audit.at), \(audit.repository), \(audit.actor), \(audit.action.rawValue), \(audit.outcome.rawValue),
                    \(audit.subject), \(audit.detail))
            """)
    }

    static func link(_ verdict: ProvenanceVerdictRecord?, to id: Int64?, _ session: PostgresSession) throws(StorageError) {
        guard var verdict else { return }
        verdict.chartVersionID = id
        try session.execute("""
            INSERT INTO provenance_verdicts (chart_version_id, repository, name, version, signer_fingerprint, signed_at,
                                             passed, checks, created_at)
            VALUES (\(verdict.chartVersionID), \(verdict.repository), \(verdict.name), \(verdict.version),
                    \(verdict.signerFingerprint), \(verdict.signedAt), \(verdict.passed), \(verdict.checks), \(verdict.createdAt))
            """)
    }

    static func link(_ verdict: ContentVerdictRecord?, to id: Int64?, _ session: PostgresSession) throws(StorageError) {
        guard var verdict else { return }
        verdict.chartVersionID = id
        try session.execute("""
            INSERT INTO content_verdicts (chart_version_id, repository, name, version, passed, refused, verdict, created_at)
            VALUES (\(verdict.chartVersionID), \(verdict.repository), \(verdict.name), \(verdict.version), \(verdict.passed),
                    \(verdict.refused), \(verdict.verdict), \(verdict.createdAt))
            """)
    }

    public func chart(repository: String, name: String, version: String) throws(StorageError) -> ChartVersionRecord? {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.chartColumns) FROM chart_versions
                WHERE repository = \(repository) AND name = \(name) AND version = \(version)
                """).first.map { row throws(StorageError) in try PostgresRows.chart(row) }
        }
    }

    public func charts(repository: String, statuses: Set<ChartStatus>) throws(StorageError) -> [ChartVersionRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.chartColumns) FROM chart_versions
                WHERE repository = \(repository) AND status = ANY(\(statuses.map(\.rawValue)))
                ORDER BY name, id
                """).map { row throws(StorageError) in try PostgresRows.chart(row) }
        }
    }

    public func charts(repository: String, statuses: Set<ChartStatus>, nameContains: String?, offset: Int, limit: Int)
        throws(StorageError) -> [ChartVersionRecord] {
        // strpos, not LIKE: the search text needs no escaping of % and _.
        let contains = nameContains.flatMap { $0.isEmpty ? nil : $0 }
        return try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.chartColumns) FROM chart_versions
                WHERE repository = \(repository) AND status = ANY(\(statuses.map(\.rawValue)))
                  AND (\(contains)::text IS NULL OR strpos(lower(name), lower(\(contains))) > 0)
                ORDER BY name, id LIMIT \(max(0, limit)) OFFSET \(max(0, offset))
                """).map { row throws(StorageError) in try PostgresRows.chart(row) }
        }
    }

    public func replaceChart(id: Int64, expecting: ChartStatus?, with record: ChartVersionRecord, audit: AuditEvent?,
                             verdict: ProvenanceVerdictRecord?, contentVerdict: ContentVerdictRecord?,
                             manifest: OCIManifestRecord?) throws(StorageError) -> ChartVersionRecord {
        try database.transaction { session throws(StorageError) in
            var record = record
            record.id = id
            try Self.holdBlobs([record.digest, record.provenanceDigest], session)
            if let expecting {
                // The row stays locked until the commit: no replica changes it in between.
                let current = try session.query("SELECT status FROM chart_versions WHERE id = \(id) FOR UPDATE").first
                    .map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
                guard current == expecting.rawValue else {
                    throw StorageError(.conflict, "\(record.name) \(record.version) changed while it was being replaced")
                }
            }
            try Self.refuseChangedSigner(verdict, repository: record.repository, session)
            try Self.refuseStageOfTakenFileName(record, session)
            guard let updated = try session.unlessUnique("""
                UPDATE chart_versions SET repository = \(record.repository), name = \(record.name),
                  version = \(record.version), digest = \(record.digest), size = \(record.size), created = \(record.created),
                  uploader = \(record.uploader), status = \(record.status.rawValue), status_reason = \(record.statusReason),
                  metadata = \(record.metadata), provenance_digest = \(record.provenanceDigest)
                WHERE id = \(id)
                """) else {
                throw try Self.conflict(for: record, session)
            }
            guard (updated.metadata.rows ?? 0) > 0 else {
                throw StorageError(.notFound, "chart version \(id) does not exist")
            }
            // The replaced bytes' verdicts stay as history but no longer speak for this row.
            try session.execute("UPDATE provenance_verdicts SET chart_version_id = NULL WHERE chart_version_id = \(id)")
            try session.execute("UPDATE content_verdicts SET chart_version_id = NULL WHERE chart_version_id = \(id)")
            try Self.insert(audit, session)
            try Self.link(verdict, to: id, session)
            try Self.link(contentVerdict, to: id, session)
            try Self.journal(.chart(record.name, record.version, repository: record.repository, reaching: record.status,
                                    audit: audit), session)
            // Manifests of the replaced bytes would never be served again: they go with them.
            try session.execute("""
                DELETE FROM oci_manifests WHERE repository = \(record.repository) AND name = \(record.name)
                  AND version = \(record.version)
                  AND NOT (chart_digest = \(record.digest) AND provenance_digest IS NOT DISTINCT FROM \(record.provenanceDigest))
                """)
            if let manifest { _ = try Self.insertManifest(manifest, session) }
            return record
        }
    }

    public func setProvenance(id: Int64, digest: String, expecting: ChartVersionRecord, activate: Bool,
                              audit: AuditEvent?, verdict: ProvenanceVerdictRecord?) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            try Self.holdBlobs([digest], session)
            try Self.refuseChangedSigner(verdict, repository: expecting.repository, session)
            // Only the row the prov was verified against: same status and bytes.
            let update: PostgresQuery = activate
                ? """
                  UPDATE chart_versions SET provenance_digest = \(digest), status = 'active', status_reason = NULL
                  WHERE id = \(id) AND status = \(expecting.status.rawValue) AND digest = \(expecting.digest)
                  """
                : """
                  UPDATE chart_versions SET provenance_digest = \(digest)
                  WHERE id = \(id) AND status = \(expecting.status.rawValue) AND digest = \(expecting.digest)
                  """
            guard let result = try session.unlessUnique(update) else {
                throw try Self.conflict(for: expecting, session)
            }
            if (result.metadata.rows ?? 0) == 0 {
                let exists = !(try session.query("SELECT 1 FROM chart_versions WHERE id = \(id)").isEmpty)
                throw exists
                    ? StorageError(.conflict, "\(expecting.name) \(expecting.version) changed while its provenance was checked")
                    : StorageError(.notFound, "\(expecting.name) \(expecting.version) no longer exists")
            }
            try Self.insert(audit, session)
            try Self.link(verdict, to: id, session)
            try Self.journal(.chart(expecting.name, expecting.version, repository: expecting.repository,
                                    reaching: activate ? .active : expecting.status, audit: audit), session)
        }
    }

    public func deleteChart(id: Int64, onlyIf expected: ChartVersionRecord?, audit: AuditEvent?) throws(StorageError) -> Bool {
        try database.transaction { session throws(StorageError) in
            let deleted: [PostgresRow]
            if let expected {
                // The very row that was read. Upload times are compared to the millisecond, the
                // precision SQLite keeps, so a record read from either store matches itself.
                deleted = try session.query("""
                    DELETE FROM chart_versions WHERE id = \(id) AND status = \(expected.status.rawValue)
                      AND digest = \(expected.digest)
                      AND abs(extract(epoch FROM created - \(expected.created))) < 0.001
                    RETURNING repository, name, version
                    """)
                guard !deleted.isEmpty else { return false }
            } else {
                deleted = try session.query("DELETE FROM chart_versions WHERE id = \(id) RETURNING repository, name, version")
            }
            try Self.insert(audit, session)
            if let row = deleted.first {
                try Self.journal(try Self.chartEntry(row, reaching: nil, audit: audit), session)
            }
            return true
        }
    }

    /// The journal entry of a chart row change, from the row's `repository, name, version`.
    static func chartEntry(_ row: PostgresRow, reaching status: ChartStatus?, audit: AuditEvent?)
        throws(StorageError) -> JournalEntry {
        let read = PostgresRows.Reader(row)
        return .chart(try read("name"), try read("version"), repository: try read("repository"), reaching: status, audit: audit)
    }

    public func isBlobReferenced(_ digest: String) throws(StorageError) -> Bool {
        try database.withConnection { session throws(StorageError) in try Self.isReferenced(digest, session) }
    }

    public func updateStatus(id: Int64, to status: ChartStatus, reason: String?) throws(StorageError) {
        try updateStatus(id: id, to: status, reason: reason, audit: nil)
    }

    public func updateStatus(id: Int64, to status: ChartStatus, reason: String?, audit: AuditEvent?) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            guard let changed = try session.query("""
                UPDATE chart_versions SET status = \(status.rawValue), status_reason = \(reason) WHERE id = \(id)
                RETURNING repository, name, version
                """).first else { throw StorageError(.notFound, "chart version \(id) does not exist") }
            if status == .deleted {
                // A deleted version has no tag: its manifests go with it.
                try session.execute("""
                    DELETE FROM oci_manifests m USING chart_versions c
                    WHERE c.id = \(id) AND m.repository = c.repository AND m.name = c.name AND m.version = c.version
                    """)
            }
            try Self.insert(audit, session)
            try Self.journal(try Self.chartEntry(changed, reaching: status, audit: audit), session)
        }
    }

    public func bulkLoadCharts(statuses: Set<ChartStatus>) throws(StorageError) -> [String: [ChartVersionRecord]] {
        try database.withConnection { session throws(StorageError) in
            var byRepository: [String: [ChartVersionRecord]] = [:]
            for row in try session.query("""
                SELECT \(unescaped: PostgresRows.chartColumns) FROM chart_versions
                WHERE status = ANY(\(statuses.map(\.rawValue)))
                ORDER BY repository, name, id
                """) {
                let record = try PostgresRows.chart(row)
                byRepository[record.repository, default: []].append(record)
            }
            return byRepository
        }
    }
}
