import Foundation
import GRDB

/// Everything an embedded install holds, read in one snapshot: what `chartwarden migrate` copies
/// into PostgreSQL.
public struct MetadataExport: Sendable {
    public var repositories: [String]
    public var charts: [ChartVersionRecord]
    public var signers: [SignerRecord]
    public var trust: [RepositoryTrustRecord]
    public var provenanceVerdicts: [ProvenanceVerdictRecord]
    public var contentVerdicts: [ContentVerdictRecord]
    public var audit: [AuditEvent]
    /// Scoped API tokens (only their hashes are stored), revoked ones too.
    public var tokens: [APITokenRecord]
    /// OCI manifests, byte for byte: pushed ones keep their digests after the move.
    public var ociManifests: [OCIManifestRecord]
}

extension SQLiteMetadataStore {
    /// Every row, oldest first, from one read transaction (a consistent snapshot).
    public func exportAll() throws(StorageError) -> MetadataExport {
        try read { db in
            MetadataExport(
                repositories: try String.fetchAll(db, sql: "SELECT name FROM repositories ORDER BY name"),
                charts: try ChartVersionRecord.order(Column("id")).fetchAll(db),
                signers: try SignerRecord.order(Column("importedAt"), Column("fingerprint")).fetchAll(db),
                trust: try RepositoryTrustRecord.order(Column("repository"), Column("fingerprint")).fetchAll(db),
                provenanceVerdicts: try ProvenanceVerdictRecord.order(Column("id")).fetchAll(db),
                contentVerdicts: try ContentVerdictRecord.order(Column("id")).fetchAll(db),
                audit: try AuditEvent.order(Column("id")).fetchAll(db),
                tokens: try APITokenRecord.order(Column("createdAt"), Column("id")).fetchAll(db),
                ociManifests: try OCIManifestRecord.order(Column("id")).fetchAll(db))
        }
    }
}
