import Foundation
import PostgresNIO
import Storage

/// What retention and the orphan-blob sweep ask of the store, as `SQLiteMetadataStore+Retention`.
extension PostgresMetadataStore {
    /// Whether a row references `digest`: a chart or prov of any status, an OCI manifest's config
    /// blob, or an OCI upload not yet expired (as `isBlobReferenced` in SQLite). The blob delete
    /// asks the same, in its own transaction.
    static func isReferenced(_ digest: String, _ session: PostgresSession) throws(StorageError) -> Bool {
        guard let row = try session.query("""
            SELECT EXISTS (SELECT 1 FROM chart_versions WHERE digest = \(digest) OR provenance_digest = \(digest))
                OR EXISTS (SELECT 1 FROM oci_manifests WHERE config_digest = \(digest))
                OR EXISTS (SELECT 1 FROM oci_blob_uploads WHERE digest = \(digest))
            """).first else { return false }
        return try PostgresRows.decode(row, Bool.self)
    }

    /// Every digest `isReferenced` counts, read in one statement (one snapshot).
    public func referencedBlobDigests() throws(StorageError) -> Set<String> {
        try database.withConnection { session throws(StorageError) in
            Set(try session.query("""
                SELECT digest FROM chart_versions
                UNION SELECT provenance_digest FROM chart_versions WHERE provenance_digest IS NOT NULL
                UNION SELECT config_digest FROM oci_manifests
                UNION SELECT digest FROM oci_blob_uploads
                """).map { row throws(StorageError) in try PostgresRows.decode(row, String.self) })
        }
    }

    /// The history tables, each with the condition under which an old row may go and the column
    /// its age is read from (indexed by migration 4, so a batch is found without a scan).
    private static let prunable: [(table: String, condition: String, age: String)] = [
        ("provenance_verdicts", "chart_version_id IS NULL", "created_at"),
        ("content_verdicts", "chart_version_id IS NULL", "created_at"),
        ("audit_events", "true", "at"),
        ("change_events", "true", "at"),
    ]

    public func pruneHistory(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int {
        guard limit > 0 else { return 0 }
        return try database.transaction { session throws(StorageError) in
            var removed = 0
            for (table, condition, age) in Self.prunable where removed < limit {
                var bindings = PostgresBindings()
                bindings.append(cutoff)
                bindings.append(limit - removed)
                removed += try session.execute(PostgresQuery(unsafeSQL: """
                    DELETE FROM \(table) WHERE id IN (
                      SELECT id FROM \(table) WHERE \(condition) AND \(age) < $1 ORDER BY \(age), id LIMIT $2)
                    """, binds: bindings))
            }
            return removed
        }
    }
}
