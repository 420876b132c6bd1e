import Foundation
import PostgresNIO
import Storage

/// `APITokenStore` (through `MetadataStore`), as `SQLiteMetadataStore+Tokens`: each change and
/// its audit event in one transaction; a taken id is a `.conflict`.
extension PostgresMetadataStore {
    static let tokenColumns = """
        id, name, secret_hash, repositories, actions, created_at, created_by, expires_at, revoked_at, revoked_by
        """

    public func insertToken(_ token: APITokenRecord, audit: AuditEvent?) throws(StorageError) {
        try database.transaction { session throws(StorageError) in
            guard try session.unlessUnique("""
                INSERT INTO api_tokens (\(unescaped: Self.tokenColumns))
                VALUES (\(token.id), \(token.name), \(token.secretHash), \(token.repositories), \(token.actions),
                        \(token.createdAt), \(token.createdBy), \(token.expiresAt), \(token.revokedAt), \(token.revokedBy))
                """) != nil else {
                throw StorageError(.conflict, "token id \(token.id) already exists")
            }
            try Self.insert(audit, session)
        }
    }

    public func token(id: String) throws(StorageError) -> APITokenRecord? {
        try database.withConnection { session throws(StorageError) in
            try session.query("SELECT \(unescaped: Self.tokenColumns) FROM api_tokens WHERE id = \(id)")
                .first.map { row throws(StorageError) in try PostgresRows.token(row) }
        }
    }

    public func tokens() throws(StorageError) -> [APITokenRecord] {
        try database.withConnection { session throws(StorageError) in
            try session.query("SELECT \(unescaped: Self.tokenColumns) FROM api_tokens ORDER BY created_at DESC, id")
                .map { row throws(StorageError) in try PostgresRows.token(row) }
        }
    }

    public func revokeToken(id: String, at date: Date, by actor: String, audit: AuditEvent?)
        throws(StorageError) -> APITokenRecord? {
        try database.transaction { session throws(StorageError) in
            // Locked until the commit: two replicas revoking at once keep the first revocation.
            guard let row = try session.query("""
                SELECT \(unescaped: Self.tokenColumns) FROM api_tokens WHERE id = \(id) FOR UPDATE
                """).first else { return nil }
            var token = try PostgresRows.token(row)
            guard token.revokedAt == nil else { return token }
            token.revokedAt = date
            token.revokedBy = actor
            try session.execute("UPDATE api_tokens SET revoked_at = \(date), revoked_by = \(actor) WHERE id = \(id)")
            try Self.insert(audit, session)
            return token
        }
    }
}

extension PostgresRows {
    static func token(_ row: PostgresRow) throws(StorageError) -> APITokenRecord {
        let read = Reader(row)
        var token = try APITokenRecord(
            id: try read("id"), name: try read("name"), secretHash: try read("secret_hash"), repositories: [], actions: [],
            createdAt: try read("created_at"), createdBy: try read("created_by"), expiresAt: try read("expires_at"),
            revokedAt: try read("revoked_at"), revokedBy: try read("revoked_by"))
        // Stored as the JSON text the record keeps (as in SQLite).
        token.repositories = try read("repositories")
        token.actions = try read("actions")
        return token
    }
}
