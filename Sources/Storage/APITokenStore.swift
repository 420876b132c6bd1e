import Foundation

/// Where scoped API tokens live. Part of `MetadataStore`, so the PostgreSQL store implements it
/// too; every change takes its audit event and writes it in the same transaction.
public protocol APITokenStore: Sendable {
    /// Inserts a new token with its audit event. A taken `id` is a `.conflict`.
    func insertToken(_ token: APITokenRecord, audit: AuditEvent?) throws(StorageError)
    func token(id: String) throws(StorageError) -> APITokenRecord?
    /// Every token, newest first (revoked and expired ones too: the list is the record of them).
    func tokens() throws(StorageError) -> [APITokenRecord]
    /// Marks a token revoked, with its audit event. Returns the row as stored afterwards; a
    /// token already revoked keeps its first revocation and writes no event. Nil when unknown.
    func revokeToken(id: String, at: Date, by actor: String, audit: AuditEvent?) throws(StorageError) -> APITokenRecord?
}
