import Foundation
import GRDB

/// What retention and the orphan-blob sweep ask of the store.
extension SQLiteMetadataStore {
    /// Every digest `isBlobReferenced` counts: charts and provs, OCI config blobs and OCI uploads
    /// not yet expired (the orphan sweep must not delete a pushed blob awaiting its manifest).
    public func referencedBlobDigests() throws(StorageError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT digest FROM chart_versions UNION SELECT provenanceDigest FROM chart_versions
                WHERE provenanceDigest IS NOT NULL
                UNION SELECT configDigest FROM oci_manifests UNION SELECT digest FROM oci_blob_uploads
                """))
        }
    }

    /// The history tables, each with the condition under which an old row may go and the column
    /// its age is read from (indexed, so a batch is found without a scan).
    private static let prunable: [(table: String, condition: String, age: String)] = [
        ("provenance_verdicts", "chartVersionID IS NULL", "createdAt"),
        ("content_verdicts", "chartVersionID IS NULL", "createdAt"),
        ("audit_events", "1", "at"),
        ("change_events", "1", "at"),
    ]

    public func pruneHistory(olderThan cutoff: Date, limit: Int) throws(StorageError) -> Int {
        guard limit > 0 else { return 0 }
        return try write { db in
            var removed = 0
            for (table, condition, age) in Self.prunable where removed < limit {
                try db.execute(sql: """
                    DELETE FROM \(table) WHERE id IN (
                        SELECT id FROM \(table) WHERE \(condition) AND \(age) < ? ORDER BY \(age), id LIMIT ?)
                    """, arguments: [cutoff, limit - removed])
                removed += db.changesCount
            }
            return removed
        }
    }
}
