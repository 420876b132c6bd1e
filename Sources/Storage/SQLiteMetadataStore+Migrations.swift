import Foundation
import GRDB

/// The schema, one versioned migration at a time (GRDB records which ones ran).
extension SQLiteMetadataStore {
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
        migrator.registerMigration("v6-api-tokens") { db in try createAPITokens(db) }
        migrator.registerMigration("v6-blob-references-and-retention") { db in
            // Whether a blob is still referenced (reclaim, the start-up orphan sweep) without a scan.
            try db.create(index: "chart_versions_by_digest", on: "chart_versions", columns: ["digest"])
            try db.create(index: "chart_versions_by_provenance_digest", on: "chart_versions", columns: ["provenanceDigest"])
            // Retention finds the oldest unlinked verdicts in index order, not by sorting them all.
            try db.create(index: "provenance_verdicts_unlinked_by_age", on: "provenance_verdicts",
                          columns: ["chartVersionID", "createdAt"])
            try db.create(index: "content_verdicts_unlinked_by_age", on: "content_verdicts",
                          columns: ["chartVersionID", "createdAt"])
        }
        migrator.registerMigration("v6-oci") { db in try createOCITables(db) }
        migrator.registerMigration("v7-change-journal") { db in try createChangeJournal(db) }
        migrator.registerMigration("v8-webhooks") { db in try createWebhookTables(db) }
        migrator.registerMigration("v9-index-fragments") { db in
            // Each row's index rendering, so a start joins bytes instead of decoding and rendering
            // every row. Filled by the first start and by publishes (`storeIndexFragments`).
            try db.create(table: "index_fragments") { table in
                table.primaryKey("chartVersionID", .integer).references("chart_versions", onDelete: .cascade)
                table.column("renderKey", .text).notNull()
                table.column("item", .blob).notNull()
                table.column("apiJSON", .blob)
            }
        }
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
}
