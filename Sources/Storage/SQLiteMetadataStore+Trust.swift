import Foundation
import GRDB

/// Signer trust (README, "Provenance"), revocations, and the provenance and content verdicts.
extension SQLiteMetadataStore {
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
            if added {
                try Self.journal(.signer(trust.fingerprint, repository: trust.repository, fallback: .signerTrusted, audit: audit), db)
            }
            return added
        }
    }

    public func distrust(repository: String, fingerprint: String, audit: AuditEvent?) throws(StorageError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM repository_trust WHERE repository = ? AND fingerprint = ?",
                           arguments: [repository, fingerprint])
            let removed = db.changesCount > 0
            if removed, var audit { try audit.insert(db) }
            if removed {
                try Self.journal(.signer(fingerprint, repository: repository, fallback: .signerDistrusted, audit: audit), db)
            }
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
            // Never downgrades: hard stays hard whatever comes later, soft gives way to hard, and
            // for the same kind the earliest date stays (concurrent or repeated records agree).
            try db.execute(sql: """
                UPDATE signers SET
                  revokedAt = CASE
                    WHEN revokedAt IS NULL OR revocationKind IS NULL OR (revocationKind = 'soft' AND :kind = 'hard') THEN :at
                    WHEN revocationKind = :kind THEN MIN(revokedAt, :at)
                    ELSE revokedAt END,
                  revocationKind = CASE WHEN revocationKind = 'hard' THEN 'hard' ELSE :kind END
                WHERE fingerprint = :fingerprint
                """, arguments: ["at": at, "kind": kind.rawValue, "fingerprint": fingerprint])
            if db.changesCount == 0 { throw StorageError(.notFound, "signer \(fingerprint) is not known") }
            if var audit { try audit.insert(db) }
            try Self.journal(.signer(fingerprint, repository: nil, fallback: .signerRevoked, audit: audit), db)
        }
    }

    public func appendVerdict(_ verdict: ProvenanceVerdictRecord) throws(StorageError) {
        try appendVerdict(verdict, audit: nil)
    }

    public func appendVerdict(_ verdict: ProvenanceVerdictRecord, audit: AuditEvent?) throws(StorageError) {
        try write { db in
            var verdict = verdict
            try verdict.insert(db)
            if var audit { try audit.insert(db) }
            try Self.journal(.rejected(repository: verdict.repository, name: verdict.name, version: verdict.version,
                                       audit: audit), db)
        }
    }

    public func appendContentVerdict(_ verdict: ContentVerdictRecord, audit: AuditEvent?) throws(StorageError) {
        try write { db in
            var verdict = verdict
            try verdict.insert(db)
            if var audit { try audit.insert(db) }
            try Self.journal(.rejected(repository: verdict.repository, name: verdict.name, version: verdict.version,
                                       audit: audit), db)
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
}
