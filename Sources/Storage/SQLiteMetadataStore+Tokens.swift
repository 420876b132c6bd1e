import Foundation
import GRDB

/// `APITokenStore` (through `MetadataStore`).
extension SQLiteMetadataStore {
    /// Migration `v6-api-tokens`.
    static func createAPITokens(_ db: Database) throws {
        try db.create(table: "api_tokens") { table in
            table.primaryKey("id", .text)
            table.column("name", .text).notNull().indexed()
            table.column("secretHash", .text).notNull()
            table.column("repositories", .text).notNull()
            table.column("actions", .text).notNull()
            table.column("createdAt", .datetime).notNull()
            table.column("createdBy", .text).notNull()
            table.column("expiresAt", .datetime).notNull()
            table.column("revokedAt", .datetime)
            table.column("revokedBy", .text)
        }
    }

    public func insertToken(_ token: APITokenRecord, audit: AuditEvent?) throws(StorageError) {
        try write { db in
            do {
                try token.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StorageError(.conflict, "token id \(token.id) already exists")
            }
            if var audit { try audit.insert(db) }
        }
    }

    public func token(id: String) throws(StorageError) -> APITokenRecord? {
        try read { db in try APITokenRecord.fetchOne(db, key: id) }
    }

    public func tokens() throws(StorageError) -> [APITokenRecord] {
        try read { db in try APITokenRecord.order(Column("createdAt").desc, Column("id")).fetchAll(db) }
    }

    public func revokeToken(id: String, at date: Date, by actor: String, audit: AuditEvent?)
        throws(StorageError) -> APITokenRecord? {
        try write { db in
            guard var token = try APITokenRecord.fetchOne(db, key: id) else { return nil }
            guard token.revokedAt == nil else { return token }
            token.revokedAt = date
            token.revokedBy = actor
            try token.update(db)
            if var audit { try audit.insert(db) }
            return token
        }
    }
}
