import Foundation
import NIOCore
import PostgresNIO
import Storage

/// `OCIMetadataStore` (through `MetadataStore`), as `SQLiteMetadataStore+OCI`: manifests stored
/// once per (repository, name, digest), blob uploads recorded until they expire. A row that
/// references a blob holds its advisory lock until it commits (`holdBlobs`), so no replica's
/// blob delete removes bytes it is about to reference.
extension PostgresMetadataStore {
    static let manifestColumns = """
        id, repository, name, version, digest, media_type, content, config_digest, chart_digest, provenance_digest,
        generated, created
        """
    /// `manifestColumns` of the alias `m`, for joins.
    static let joinedManifestColumns = manifestColumns.split(separator: ",")
        .map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")
    static let blobUploadColumns = "repository, name, digest, size, uploader, uploaded_at, refused"

    public func insertManifest(_ record: OCIManifestRecord) throws(StorageError) -> OCIManifestRecord {
        try database.transaction { session throws(StorageError) in try Self.insertManifest(record, session) }
    }

    /// Inserts `record` in the caller's transaction unless the same (repository, name, digest) is
    /// stored; returns the stored row.
    static func insertManifest(_ record: OCIManifestRecord, _ session: PostgresSession) throws(StorageError) -> OCIManifestRecord {
        try holdBlobs([record.configDigest], session)
        // A racing insert of the same digest waits for the other and then keeps its row.
        if let inserted = try session.query("""
            INSERT INTO oci_manifests (repository, name, version, digest, media_type, content, config_digest,
                                       chart_digest, provenance_digest, generated, created)
            VALUES (\(record.repository), \(record.name), \(record.version), \(record.digest), \(record.mediaType),
                    \(ByteBuffer(bytes: record.content)), \(record.configDigest), \(record.chartDigest),
                    \(record.provenanceDigest), \(record.generated), \(record.created))
            ON CONFLICT (repository, name, digest) DO NOTHING
            RETURNING id
            """).first {
            var stored = record
            stored.id = try PostgresRows.decode(inserted, Int64.self)
            return stored
        }
        guard let existing = try manifest(repository: record.repository, name: record.name, digest: record.digest, session) else {
            throw StorageError(.conflict, "manifest \(record.digest) changed while it was being stored")
        }
        return existing
    }

    public func manifests(repository: String, name: String, version: String) throws(StorageError) -> [OCIManifestRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: Self.manifestColumns) FROM oci_manifests
                WHERE repository = \(repository) AND name = \(name) AND version = \(version) ORDER BY id DESC
                """).map { row throws(StorageError) in try PostgresRows.manifest(row) }
        }
    }

    public func manifest(repository: String, name: String, digest: String) throws(StorageError) -> OCIManifestRecord? {
        try database.withConnection { session throws(StorageError) in
            try Self.manifest(repository: repository, name: name, digest: digest, session)
        }
    }

    public func servedManifests(repository: String, name: String) throws(StorageError) -> [OCIManifestRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: Self.joinedManifestColumns)
                FROM oci_manifests m JOIN chart_versions c
                  ON c.repository = m.repository AND c.name = m.name AND c.version = m.version
                WHERE m.repository = \(repository) AND m.name = \(name) AND c.status = 'active'
                  AND m.chart_digest = c.digest AND m.provenance_digest IS NOT DISTINCT FROM c.provenance_digest
                ORDER BY m.id
                """).map { row throws(StorageError) in try PostgresRows.manifest(row) }
        }
    }

    public func versions(repository: String, name: String, statuses: Set<ChartStatus>) throws(StorageError) -> [String] {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT version FROM chart_versions
                WHERE repository = \(repository) AND name = \(name) AND status = ANY(\(statuses.map(\.rawValue)))
                """).map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
        }
    }

    public func trimManifests(of version: ChartVersionRecord, keeping: Int) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            let (repository, name, number) = (version.repository, version.name, version.version)
            let (chart, provenance) = (version.digest, version.provenanceDigest)
            try session.execute("""
                DELETE FROM oci_manifests WHERE repository = \(repository) AND name = \(name) AND version = \(number)
                  AND (NOT (chart_digest = \(chart) AND provenance_digest IS NOT DISTINCT FROM \(provenance))
                    OR (id <> (SELECT min(id) FROM oci_manifests WHERE repository = \(repository) AND name = \(name)
                                 AND version = \(number) AND chart_digest = \(chart)
                                 AND provenance_digest IS NOT DISTINCT FROM \(provenance))
                        AND id NOT IN (SELECT id FROM oci_manifests WHERE repository = \(repository) AND name = \(name)
                                         AND version = \(number) AND chart_digest = \(chart)
                                         AND provenance_digest IS NOT DISTINCT FROM \(provenance)
                                       ORDER BY id DESC LIMIT \(max(0, keeping - 1)))))
                """)
        }
    }

    static func manifest(repository: String, name: String, digest: String, _ session: PostgresSession)
        throws(StorageError) -> OCIManifestRecord? {
        try session.query("""
            SELECT \(unescaped: manifestColumns) FROM oci_manifests
            WHERE repository = \(repository) AND name = \(name) AND digest = \(digest)
            """).first.map { row throws(StorageError) in try PostgresRows.manifest(row) }
    }

    public func recordBlobUpload(_ record: OCIBlobUploadRecord) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            try Self.holdBlobs([record.digest], session)
            try Self.upsertBlobUpload(record, session)
        }
    }

    public func recordBlobUpload(_ record: OCIBlobUploadRecord, maxUploaderBytes: Int64, maxRepositoryBytes: Int64)
        throws(StorageError) -> OCIUploadCap? {
        try database.transaction { session throws(StorageError) in
            try Self.holdBlobs([record.digest], session)
            // One uploader's or one repository's sums must not race another replica's insert:
            // the check and the write hold the same transaction-scoped lock per uploader and repository.
            try session.execute("SELECT pg_advisory_xact_lock(hashtext('oci-quota-uploader:' || \(record.uploader)))")
            try session.execute("SELECT pg_advisory_xact_lock(hashtext('oci-quota-repository:' || \(record.repository)))")
            let byUploader = try Self.heldBytes(session.query("""
                SELECT COALESCE(SUM(size), 0)::bigint FROM oci_blob_uploads WHERE uploader = \(record.uploader)
                  AND NOT (repository = \(record.repository) AND name = \(record.name) AND digest = \(record.digest))
                """))
            if byUploader + record.size > maxUploaderBytes { return .uploader(held: byUploader, limit: maxUploaderBytes) }
            let inRepository = try Self.heldBytes(session.query("""
                SELECT COALESCE(SUM(size), 0)::bigint FROM oci_blob_uploads WHERE repository = \(record.repository)
                  AND NOT (repository = \(record.repository) AND name = \(record.name) AND digest = \(record.digest))
                """))
            if inRepository + record.size > maxRepositoryBytes {
                return .repository(held: inRepository, limit: maxRepositoryBytes)
            }
            try Self.upsertBlobUpload(record, session)
            return nil
        }
    }

    private static func heldBytes(_ rows: [PostgresRow]) throws(StorageError) -> Int64 {
        guard let row = rows.first else { return 0 }
        return try PostgresRows.decode(row, Int64.self)
    }

    private static func upsertBlobUpload(_ record: OCIBlobUploadRecord, _ session: PostgresSession) throws(StorageError) {
        try session.execute("""
            INSERT INTO oci_blob_uploads (\(unescaped: blobUploadColumns))
            VALUES (\(record.repository), \(record.name), \(record.digest), \(record.size), \(record.uploader),
                    \(record.uploadedAt), \(record.refused))
            ON CONFLICT (repository, name, digest) DO UPDATE
              SET size = EXCLUDED.size, uploader = EXCLUDED.uploader, uploaded_at = EXCLUDED.uploaded_at,
                  refused = EXCLUDED.refused
            """)
    }

    public func settleBlobUploads(repository: String, name: String, digests: [String], refused: Bool) throws(StorageError) {
        try database.withConnection { session throws(StorageError) in
            if refused {
                try session.execute("""
                    UPDATE oci_blob_uploads SET refused = true
                    WHERE repository = \(repository) AND name = \(name) AND digest = ANY(\(digests))
                    """)
            } else {
                try session.execute("""
                    DELETE FROM oci_blob_uploads
                    WHERE repository = \(repository) AND name = \(name) AND digest = ANY(\(digests))
                    """)
            }
        }
    }

    public func blobUpload(repository: String, name: String, digest: String) throws(StorageError) -> OCIBlobUploadRecord? {
        try database.withConnection { session throws(StorageError) in
            try session.query("""
                SELECT \(unescaped: Self.blobUploadColumns) FROM oci_blob_uploads
                WHERE repository = \(repository) AND name = \(name) AND digest = \(digest)
                """).first.map { row throws(StorageError) in try PostgresRows.blobUpload(row) }
        }
    }

    public func isBlobServed(repository: String, name: String, digest: String) throws(StorageError) -> Bool {
        try database.withConnection { session throws(StorageError) in
            guard let row = try session.query("""
                SELECT EXISTS (SELECT 1 FROM chart_versions WHERE repository = \(repository) AND name = \(name)
                                 AND status = 'active' AND (digest = \(digest) OR provenance_digest = \(digest)))
                    OR EXISTS (SELECT 1 FROM oci_manifests m JOIN chart_versions c
                                 ON c.repository = m.repository AND c.name = m.name AND c.version = m.version
                                AND c.status = 'active' AND c.digest = m.chart_digest
                               WHERE m.repository = \(repository) AND m.name = \(name) AND m.config_digest = \(digest))
                """).first else { return false }
            return try PostgresRows.decode(row, Bool.self)
        }
    }

    public func expireBlobUploads(repository: String, uploadedBefore: Date) throws(StorageError) -> [String] {
        try database.withConnection { session throws(StorageError) in
            let digests = try session.query("""
                DELETE FROM oci_blob_uploads WHERE repository = \(repository) AND uploaded_at < \(uploadedBefore)
                RETURNING digest
                """).map { row throws(StorageError) in try PostgresRows.decode(row, String.self) }
            return Array(Set(digests)).sorted()
        }
    }
}

extension PostgresRows {
    static func manifest(_ row: PostgresRow) throws(StorageError) -> OCIManifestRecord {
        let read = Reader(row)
        var content: ByteBuffer = try read("content")
        return OCIManifestRecord(
            id: try read("id", as: Int64.self), repository: try read("repository"), name: try read("name"),
            version: try read("version"), digest: try read("digest"), mediaType: try read("media_type"),
            content: Data(content.readBytes(length: content.readableBytes) ?? []), configDigest: try read("config_digest"),
            chartDigest: try read("chart_digest"), provenanceDigest: try read("provenance_digest"),
            generated: try read("generated"), created: try read("created"))
    }

    static func blobUpload(_ row: PostgresRow) throws(StorageError) -> OCIBlobUploadRecord {
        let read = Reader(row)
        return OCIBlobUploadRecord(repository: try read("repository"), name: try read("name"), digest: try read("digest"),
                                   size: try read("size"), uploader: try read("uploader"),
                                   uploadedAt: try read("uploaded_at"), refused: try read("refused"))
    }
}
