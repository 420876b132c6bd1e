import Foundation
import GRDB

/// One row of `api_tokens`: a scoped API token (README, "API tokens"). Only the SHA-256 of the
/// secret part is kept; `id` is the token's public part, so a presented token is found by key
/// and its secret compared once, in constant time.
public struct APITokenRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_tokens"

    /// The public part of the token (16 lowercase hex digits).
    public var id: String
    /// The token acts as principal `token:NAME`; several tokens may share a name (rotation).
    public var name: String
    /// SHA-256 of the secret part, 64 lowercase hex digits.
    public var secretHash: String
    /// JSON array of repository names the token may reach.
    public var repositories: String
    /// JSON array of `read`, `write`, `delete`.
    public var actions: String
    public var createdAt: Date
    public var createdBy: String
    public var expiresAt: Date
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(id: String, name: String, secretHash: String, repositories: [String], actions: [String],
                createdAt: Date, createdBy: String, expiresAt: Date, revokedAt: Date? = nil, revokedBy: String? = nil)
        throws(StorageError) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.repositories = try StoredJSON.encode(repositories)
        self.actions = try StoredJSON.encode(actions)
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    public var repositoryList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(repositories.utf8))) ?? []
    }

    public var actionList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(actions.utf8))) ?? []
    }
}
