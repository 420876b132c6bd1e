import Foundation
import Storage

/// Scoped API tokens: creation, listing, revocation and the check of a presented token. Every
/// store call goes through `work`; creation and revocation are audited in their own transaction.
package final class TokenService: Sendable {
    private let work: BlockingWork<Stores>
    private let repositories: Set<String>

    package init(work: BlockingWork<Stores>, repositories: Set<String>) {
        self.work = work
        self.repositories = repositories
    }

    /// Validates `fields`, stores the new token's hash and returns the token (shown only now).
    package func create(name: String?, repositories requested: [String]?, actions: [String]?, expiresAt: Date?,
                        actor: String, now: Date = Date()) async throws(ServiceError) -> CreatedAPIToken {
        let request = try APITokenRequest(name: name, repositories: requested, actions: actions, expiresAt: expiresAt,
                                          now: now, knownRepositories: repositories)
        let credential = APITokenCredential.generate()
        let record: APITokenRecord
        let audit: AuditEvent
        do {
            let repositories = request.scope.repositories.sorted()
            let actions = request.scope.actions.map(\.rawValue).sorted()
            record = try APITokenRecord(id: credential.id, name: request.name, secretHash: credential.secretHash,
                                        repositories: repositories, actions: actions, createdAt: now, createdBy: actor,
                                        expiresAt: request.expiresAt)
            audit = AuditEvent(at: now, repository: nil, actor: actor, action: .token, outcome: .created,
                               subject: Principal.token(request.name).description,
                               detail: try AuditDetail(AuditDetails.TokenChange(
                                id: credential.id, repositories: repositories, actions: actions, expiresAt: request.expiresAt)))
        } catch {
            throw ServiceError(.internalError, "cannot encode the token: \(error)", cause: error)
        }
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                try stores.metadata.insertToken(record, audit: audit)
            } catch {
                throw ServiceError(.internalError, "cannot store the token: \(error)", cause: error)
            }
        }
        return CreatedAPIToken(token: credential.text, details: APITokenView(record, now: now))
    }

    package func list(now: Date = Date()) async throws(ServiceError) -> [APITokenView] {
        try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.tokens().map { APITokenView($0, now: now) }
            } catch {
                throw ServiceError(.internalError, "cannot list the tokens: \(error)", cause: error)
            }
        }
    }

    /// Revokes token `id` at once: its next request gets 401. Revoking twice keeps the first.
    package func revoke(id: String, actor: String, now: Date = Date()) async throws(ServiceError) -> APITokenView {
        guard id.utf8.count == 16, id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw ServiceError(.notFound, "token not found")
        }
        let revoked: APITokenRecord? = try await work.run { (stores, _) throws(ServiceError) in
            do {
                guard let current = try stores.metadata.token(id: id) else { return nil }
                let audit = AuditEvent(at: now, repository: nil, actor: actor, action: .token, outcome: .revoked,
                                       subject: Principal.token(current.name).description,
                                       detail: try AuditDetail(AuditDetails.TokenChange(
                                        id: id, repositories: current.repositoryList, actions: current.actionList,
                                        expiresAt: current.expiresAt)))
                return try stores.metadata.revokeToken(id: id, at: now, by: actor, audit: audit)
            } catch {
                throw ServiceError(.internalError, "cannot revoke the token: \(error)", cause: error)
            }
        }
        guard let revoked else { throw ServiceError(.notFound, "token not found") }
        return APITokenView(revoked, now: now)
    }

    /// Checks a presented token: one lookup by its public id and one SHA-256, on the pool.
    package func verify(_ text: String, now: Date = Date()) async throws(ServiceError) -> APITokenVerdict {
        guard let credential = APITokenCredential(text) else { return .refused(.malformed) }
        let stored: APITokenRecord? = try await work.run { (stores, _) throws(ServiceError) in
            do {
                return try stores.metadata.token(id: credential.id)
            } catch {
                throw ServiceError(.internalError, "cannot read the tokens: \(error)", cause: error)
            }
        }
        return APITokenVerdict.judge(credential, stored: stored, now: now)
    }
}
