import Foundation
import Storage

/// A token as the admin API shows it: everything but the secret (which is never stored).
package struct APITokenView: Encodable, Sendable, Equatable {
    package let id: String
    package let name: String
    package let principal: String
    package let repositories: [String]
    package let actions: [String]
    package let createdAt: Date
    package let createdBy: String
    package let expiresAt: Date
    package let revokedAt: Date?
    package let revokedBy: String?
    /// `active`, `expired` or `revoked`, as of the answer.
    package let status: String

    package init(_ record: APITokenRecord, now: Date) {
        id = record.id
        name = record.name
        principal = Principal.token(record.name).description
        repositories = record.repositoryList
        actions = record.actionList
        createdAt = record.createdAt
        createdBy = record.createdBy
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
        revokedBy = record.revokedBy
        status = record.revokedAt != nil ? "revoked" : record.expiresAt <= now ? "expired" : "active"
    }
}

/// The answer to a creation: the view plus the token, shown this once.
package struct CreatedAPIToken: Encodable, Sendable {
    package let token: String
    package let details: APITokenView

    package func encode(to encoder: any Encoder) throws {
        try details.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(token, forKey: .token)
    }

    private enum Key: String, CodingKey { case token }
}
