import Foundation
import GRDB

/// The OCI tables (`v6-oci`): manifests and uploaded blobs.
extension SQLiteMetadataStore {
    public func insertManifest(_ record: OCIManifestRecord) throws(StorageError) -> OCIManifestRecord {
        try write { db in try Self.insertManifest(record, db) }
    }

    /// Inserts `record` unless the same (repository, name, digest) is stored; returns the stored row.
    static func insertManifest(_ record: OCIManifestRecord, _ db: Database) throws -> OCIManifestRecord {
        if let existing = try OCIManifestRecord.filter(Column("repository") == record.repository
            && Column("name") == record.name && Column("digest") == record.digest).fetchOne(db) {
            return existing
        }
        var inserted = record
        try inserted.insert(db)
        return inserted
    }

    public func manifests(repository: String, name: String, version: String) throws(StorageError) -> [OCIManifestRecord] {
        try read { db in
            try OCIManifestRecord.filter(Column("repository") == repository && Column("name") == name
                && Column("version") == version).order(Column("id").desc).fetchAll(db)
        }
    }

    public func manifest(repository: String, name: String, digest: String) throws(StorageError) -> OCIManifestRecord? {
        try read { db in
            try OCIManifestRecord.filter(Column("repository") == repository && Column("name") == name
                && Column("digest") == digest).fetchOne(db)
        }
    }

    public func servedManifests(repository: String, name: String) throws(StorageError) -> [OCIManifestRecord] {
        try read { db in
            try OCIManifestRecord.fetchAll(db, sql: """
                SELECT m.* FROM oci_manifests AS m JOIN chart_versions AS c
                  ON c.repository = m.repository AND c.name = m.name AND c.version = m.version
                WHERE m.repository = ? AND m.name = ? AND c.status = 'active'
                  AND m.chartDigest = c.digest AND m.provenanceDigest IS c.provenanceDigest
                ORDER BY m.id
                """, arguments: [repository, name])
        }
    }

    public func versions(repository: String, name: String, statuses: Set<ChartStatus>) throws(StorageError) -> [String] {
        // Statuses are filtered here, not in SQL: with `status IN (…)` SQLite may pick the
        // (repository, status) index and walk every active row of the repository.
        try read { db in
            try Row.fetchAll(db, sql: "SELECT version, status FROM chart_versions WHERE repository = ? AND name = ?",
                             arguments: [repository, name])
                .filter { row in statuses.contains { $0.rawValue == row["status"] as String } }
                .map { row in row["version"] as String }
        }
    }

    public func trimManifests(of version: ChartVersionRecord, keeping: Int) throws(StorageError) {
        try write { db in
            let same = "repository = ? AND name = ? AND version = ?"
            let bytes = "chartDigest = ? AND provenanceDigest IS ?"
            let key: StatementArguments = [version.repository, version.name, version.version]
            let digests: StatementArguments = [version.digest, version.provenanceDigest]
            try db.execute(sql: """
                DELETE FROM oci_manifests WHERE \(same) AND (NOT (\(bytes))
                  OR (id <> (SELECT min(id) FROM oci_manifests WHERE \(same) AND \(bytes))
                      AND id NOT IN (SELECT id FROM oci_manifests WHERE \(same) AND \(bytes) ORDER BY id DESC LIMIT ?)))
                """, arguments: key + digests + key + digests + key + digests + [max(0, keeping - 1)])
        }
    }

    public func recordBlobUpload(_ record: OCIBlobUploadRecord) throws(StorageError) {
        try write { db in try record.save(db) }
    }

    public func recordBlobUpload(_ record: OCIBlobUploadRecord, maxUploaderBytes: Int64, maxRepositoryBytes: Int64)
        throws(StorageError) -> OCIUploadCap? {
        try write { db in
            let others = "NOT (repository = ? AND name = ? AND digest = ?)"
            let key: StatementArguments = [record.repository, record.name, record.digest]
            let byUploader = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM oci_blob_uploads WHERE uploader = ? AND \(others)",
                                                arguments: [record.uploader] + key) ?? 0
            if byUploader + record.size > maxUploaderBytes { return .uploader(held: byUploader, limit: maxUploaderBytes) }
            let inRepository = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM oci_blob_uploads WHERE repository = ? AND \(others)",
                                                  arguments: [record.repository] + key) ?? 0
            if inRepository + record.size > maxRepositoryBytes {
                return .repository(held: inRepository, limit: maxRepositoryBytes)
            }
            try record.save(db)
            return nil
        }
    }

    public func settleBlobUploads(repository: String, name: String, digests: [String], refused: Bool) throws(StorageError) {
        try write { db in
            let rows = OCIBlobUploadRecord.filter(Column("repository") == repository && Column("name") == name
                && digests.contains(Column("digest")))
            if refused {
                _ = try rows.updateAll(db, Column("refused").set(to: true))
            } else {
                _ = try rows.deleteAll(db)
            }
        }
    }

    public func blobUpload(repository: String, name: String, digest: String) throws(StorageError) -> OCIBlobUploadRecord? {
        try read { db in
            try OCIBlobUploadRecord.filter(Column("repository") == repository && Column("name") == name
                && Column("digest") == digest).fetchOne(db)
        }
    }

    public func isBlobServed(repository: String, name: String, digest: String) throws(StorageError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM chart_versions WHERE repository = ? AND name = ? AND status = 'active'
                                   AND (digest = ? OR provenanceDigest = ?))
                    OR EXISTS (SELECT 1 FROM oci_manifests m JOIN chart_versions c
                                   ON c.repository = m.repository AND c.name = m.name AND c.version = m.version
                                  AND c.status = 'active' AND c.digest = m.chartDigest
                               WHERE m.repository = ? AND m.name = ? AND m.configDigest = ?)
                """, arguments: [repository, name, digest, digest, repository, name, digest]) ?? false
        }
    }

    public func expireBlobUploads(repository: String, uploadedBefore: Date) throws(StorageError) -> [String] {
        try write { db in
            let expired = OCIBlobUploadRecord.filter(Column("repository") == repository && Column("uploadedAt") < uploadedBefore)
            let digests = try expired.fetchAll(db).map(\.digest)
            try expired.deleteAll(db)
            return Array(Set(digests)).sorted()
        }
    }

    static func createOCITables(_ db: Database) throws {
        try db.create(table: "oci_manifests") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("repository", .text).notNull().references("repositories", onDelete: .restrict)
            table.column("name", .text).notNull()
            table.column("version", .text).notNull()
            table.column("digest", .text).notNull()
            table.column("mediaType", .text).notNull()
            table.column("content", .blob).notNull()
            table.column("configDigest", .text).notNull().indexed()
            table.column("chartDigest", .text).notNull()
            table.column("provenanceDigest", .text)
            table.column("generated", .boolean).notNull()
            table.column("created", .datetime).notNull()
            table.uniqueKey(["repository", "name", "digest"])
        }
        try db.create(index: "oci_manifests_by_version", on: "oci_manifests", columns: ["repository", "name", "version"])
        try db.create(table: "oci_blob_uploads") { table in
            table.column("repository", .text).notNull().references("repositories", onDelete: .restrict)
            table.column("name", .text).notNull()
            table.column("digest", .text).notNull().indexed()
            table.column("size", .integer).notNull()
            table.column("uploader", .text).notNull()
            table.column("uploadedAt", .datetime).notNull().indexed()
            table.column("refused", .boolean).notNull().defaults(to: false)
            table.primaryKey(["repository", "name", "digest"])
        }
    }
}
