import Foundation
import PostgresNIO
import Storage

/// Signer trust (README, "Provenance"), revocations, the keys themselves, and the provenance and
/// content verdicts.
extension PostgresMetadataStore {
    public func upsertSigner(_ signer: SignerRecord) throws(StorageError) {
        try database.withConnection { session throws(StorageError) in
            try session.execute("""
                INSERT INTO signers (fingerprint, user_ids, algorithm, created, expires, revoked_at, revocation_kind, imported_at)
                VALUES (\(signer.fingerprint), \(signer.userIDs), \(signer.algorithm), \(signer.created), \(signer.expires),
                        \(signer.revokedAt), \(signer.revocationKind?.rawValue), \(signer.importedAt))
                ON CONFLICT (fingerprint) DO UPDATE SET user_ids = excluded.user_ids, algorithm = excluded.algorithm,
                    created = excluded.created, expires = excluded.expires
                """)
        }
    }

    public func signer(_ fingerprint: String) throws(StorageError) -> SignerRecord? {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.signerColumns) FROM signers WHERE fingerprint = \(fingerprint)
                """).first.map { row throws(StorageError) in try PostgresRows.signer(row) }
        }
    }

    public func signers() throws(StorageError) -> [SignerRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.signerColumns) FROM signers ORDER BY imported_at, fingerprint
                """).map { row throws(StorageError) in try PostgresRows.signer(row) }
        }
    }

    public func trust(_ trust: RepositoryTrustRecord, audit: AuditEvent?) throws(StorageError) -> Bool {
        try database.transaction { session throws(StorageError) in
            let added = try session.execute("""
                INSERT INTO repository_trust (repository, fingerprint, added_at, added_by)
                VALUES (\(trust.repository), \(trust.fingerprint), \(trust.addedAt), \(trust.addedBy))
                ON CONFLICT (repository, fingerprint) DO NOTHING
                """) > 0
            if added {
                try Self.insert(audit, session)
                try Self.journal(.signer(trust.fingerprint, repository: trust.repository, fallback: .signerTrusted,
                                         audit: audit), session)
            }
            return added
        }
    }

    public func distrust(repository: String, fingerprint: String, audit: AuditEvent?) throws(StorageError) -> Bool {
        try database.transaction { session throws(StorageError) in
            let removed = try session.execute("""
                DELETE FROM repository_trust WHERE repository = \(repository) AND fingerprint = \(fingerprint)
                """) > 0
            if removed {
                try Self.insert(audit, session)
                try Self.journal(.signer(fingerprint, repository: repository, fallback: .signerDistrusted, audit: audit), session)
            }
            return removed
        }
    }

    public func trustedRepositories(_ fingerprint: String) throws(StorageError) -> [String] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT repository FROM repository_trust WHERE fingerprint = \(fingerprint) ORDER BY repository
                """).map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
        }
    }

    public func recordRevocation(_ fingerprint: String, at: Date, kind: SignerRecord.RevocationKind, audit: AuditEvent?)
        throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            // Never downgrades: hard stays hard, soft gives way to hard, and for the same kind the
            // earliest date stays (the rule of the SQLite store).
            let changed = try session.execute("""
                UPDATE signers SET
                  revoked_at = CASE
                    WHEN revoked_at IS NULL OR revocation_kind IS NULL
                         OR (revocation_kind = 'soft' AND \(kind.rawValue) = 'hard') THEN \(at)
                    WHEN revocation_kind = \(kind.rawValue) THEN LEAST(revoked_at, \(at))
                    ELSE revoked_at END,
                  revocation_kind = CASE WHEN revocation_kind = 'hard' THEN 'hard' ELSE \(kind.rawValue) END
                WHERE fingerprint = \(fingerprint)
                """)
            if changed == 0 { throw StorageError(.notFound, "signer \(fingerprint) is not known") }
            try Self.insert(audit, session)
            try Self.journal(.signer(fingerprint, repository: nil, fallback: .signerRevoked, audit: audit), session)
        }
    }

    public func storeSignerKey(_ key: SignerKeyRecord) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            let changed = try session.execute("""
                INSERT INTO signer_keys (fingerprint, armored, updated_at) VALUES (\(key.fingerprint), \(key.armored), \(Date()))
                ON CONFLICT (fingerprint) DO UPDATE SET armored = excluded.armored, updated_at = excluded.updated_at
                WHERE signer_keys.armored IS DISTINCT FROM excluded.armored
                """)
            // Every replica re-imports it (a new key, or a subkey's revocation GnuPG adopted);
            // the same key again (each start imports the configured keys) changes nothing.
            if changed > 0 {
                try Self.journal(JournalEntry(type: .signerKeyUpdated, repository: nil, fingerprint: key.fingerprint), session)
            }
        }
    }

    /// The first key of the signer keys' advisory locks (the second is the fingerprint's hash).
    static let keyLockSpace: Int32 = 0x4357_6B65

    public func mergeSignerKey(_ fingerprint: String, _ merge: (String?) throws -> String) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            // Serializes writers of this key, its first insert included (no row to lock yet).
            try session.execute("SELECT pg_advisory_xact_lock(\(Self.keyLockSpace), hashtext(\(fingerprint)))")
            let stored = try session.query("SELECT armored FROM signer_keys WHERE fingerprint = \(fingerprint)").first
                .map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
            let merged: String
            do {
                merged = try merge(stored)
            } catch {
                throw StorageError(.io, "cannot merge the key material of \(fingerprint): \(error)")
            }
            guard merged != stored else { return }
            try session.execute("""
                INSERT INTO signer_keys (fingerprint, armored, updated_at) VALUES (\(fingerprint), \(merged), \(Date()))
                ON CONFLICT (fingerprint) DO UPDATE SET armored = excluded.armored, updated_at = excluded.updated_at
                """)
            try Self.journal(JournalEntry(type: .signerKeyUpdated, repository: nil, fingerprint: fingerprint), session)
        }
    }

    public func signerKeys() throws(StorageError) -> [SignerKeyRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("SELECT fingerprint, armored FROM signer_keys ORDER BY fingerprint").map { row throws(StorageError) in
                let read = PostgresRows.Reader(row)
                return SignerKeyRecord(fingerprint: try read("fingerprint"), armored: try read("armored"))
            }
        }
    }

    public func appendVerdict(_ verdict: ProvenanceVerdictRecord) throws(StorageError) {
        try appendVerdict(verdict, audit: nil)
    }

    public func appendVerdict(_ verdict: ProvenanceVerdictRecord, audit: AuditEvent?) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            try Self.link(verdict, to: verdict.chartVersionID, session)
            try Self.insert(audit, session)
            try Self.journal(.rejected(repository: verdict.repository, name: verdict.name, version: verdict.version,
                                       audit: audit), session)
        }
    }

    public func appendContentVerdict(_ verdict: ContentVerdictRecord, audit: AuditEvent?) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            try Self.link(verdict, to: verdict.chartVersionID, session)
            try Self.insert(audit, session)
            try Self.journal(.rejected(repository: verdict.repository, name: verdict.name, version: verdict.version,
                                       audit: audit), session)
        }
    }

    public func contentVerdicts(repository: String, name: String, version: String) throws(StorageError)
        -> [ContentVerdictRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.contentVerdictColumns) FROM content_verdicts
                WHERE repository = \(repository) AND name = \(name) AND version = \(version) ORDER BY id DESC
                """).map { row throws(StorageError) in try PostgresRows.contentVerdict(row) }
        }
    }

    public func verdict(chartVersionID: Int64) throws(StorageError) -> ProvenanceVerdictRecord? {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: PostgresRows.provenanceVerdictColumns) FROM provenance_verdicts
                WHERE chart_version_id = \(chartVersionID) ORDER BY id DESC LIMIT 1
                """).first.map { row throws(StorageError) in try PostgresRows.provenanceVerdict(row) }
        }
    }

    public func signedCharts(by fingerprint: String?, repository: String?, statuses: Set<ChartStatus>)
        throws(StorageError) -> [SignedChart] {
        try database.withConnection { session throws(StorageError) in
            let verdictColumns = PostgresRows.provenanceVerdictColumns.split(separator: ",")
                .map { column in "v.\(column.trimmingCharacters(in: .whitespaces)) AS v_\(column.trimmingCharacters(in: .whitespaces))" }
                .joined(separator: ", ")
            let chartColumns = PostgresRows.chartColumns.split(separator: ",")
                .map { "c.\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined(separator: ", ")
            return try session.query("""
                SELECT \(unescaped: chartColumns), \(unescaped: verdictColumns)
                FROM chart_versions c
                JOIN provenance_verdicts v ON v.id = (SELECT MAX(id) FROM provenance_verdicts WHERE chart_version_id = c.id)
                WHERE c.status = ANY(\(statuses.map(\.rawValue)))
                  AND (\(fingerprint)::text IS NULL OR v.signer_fingerprint = \(fingerprint))
                  AND (\(repository)::text IS NULL OR c.repository = \(repository))
                ORDER BY c.repository, c.name, c.id
                """).map { row throws(StorageError) in
                SignedChart(chart: try PostgresRows.chart(row), verdict: try PostgresRows.provenanceVerdict(row, prefix: "v_"))
            }
        }
    }
}
