import Foundation

/// What `POST /api/admin/tokens` asks for, validated against the configured repositories before
/// anything is stored (README, "API tokens").
package struct APITokenRequest: Sendable, Equatable {
    package let name: String
    package let scope: AccessScope
    package let expiresAt: Date

    /// Names become the principal `token:NAME` in grants and audit events: a conservative
    /// alphabet, so a name can never read as another principal or break a log line.
    package static func isValidName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard let first = utf8.first, utf8.count <= 64 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        return alphanumeric(first) && utf8.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// The longest a token may live: a token is a secret copied into CI settings, and one that
    /// never expires is what this feature exists to avoid.
    package static let maximumLifetime: TimeInterval = 366 * 86_400

    /// Checks every field; the error names the field and says what is expected.
    package init(name: String?, repositories: [String]?, actions: [String]?, expiresAt: Date?, now: Date,
                 knownRepositories: Set<String>) throws(ServiceError) {
        guard let name else { throw ServiceError(.badRequest, "name is required") }
        guard Self.isValidName(name) else {
            throw ServiceError(.badRequest, "name must be 1 to 64 of A-Z a-z 0-9 . _ - and start with a letter or digit")
        }
        guard let repositories, !repositories.isEmpty else {
            throw ServiceError(.badRequest, "repositories must list at least one repository")
        }
        for repository in repositories where !knownRepositories.contains(repository) {
            throw ServiceError(.badRequest, "repositories: \"\(repository.prefix(64))\" is not a configured repository")
        }
        guard let actions, !actions.isEmpty else {
            throw ServiceError(.badRequest, "actions must list at least one of read, write, delete")
        }
        var permissions: Set<Permission> = []
        for action in actions {
            guard let permission = Permission(rawValue: action) else {
                throw ServiceError(.badRequest, "actions: \"\(action.prefix(64))\" is not one of read, write, delete")
            }
            permissions.insert(permission)
        }
        guard let expiresAt else {
            throw ServiceError(.badRequest, "expiresAt is required (an RFC 3339 time)")
        }
        guard expiresAt > now else { throw ServiceError(.badRequest, "expiresAt must be in the future") }
        guard expiresAt.timeIntervalSince(now) <= Self.maximumLifetime else {
            throw ServiceError(.badRequest, "expiresAt may be at most 366 days ahead")
        }
        self.name = name
        scope = AccessScope(repositories: Set(repositories), actions: permissions)
        self.expiresAt = expiresAt
    }
}
