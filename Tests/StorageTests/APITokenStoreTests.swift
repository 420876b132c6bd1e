import Foundation
import Storage
import Testing

@Suite struct APITokenStoreTests {
    static let created = Date(timeIntervalSince1970: 1_800_000_000)

    static func token(_ id: String, name: String = "ci") throws -> APITokenRecord {
        try APITokenRecord(id: id, name: name, secretHash: String(repeating: "a", count: 64), repositories: ["alpha"],
                           actions: ["read", "write"], createdAt: created, createdBy: "user:root",
                           expiresAt: created.addingTimeInterval(86_400))
    }

    static func event(_ outcome: AuditOutcome) -> AuditEvent {
        AuditEvent(at: created, repository: nil, actor: "user:root", action: .token, outcome: outcome, subject: "token:ci")
    }

    @Test(arguments: StoreBackend.available)
    func storesLooksUpAndRevokesWithTheirAuditEvents(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        try store.insertToken(try Self.token("00000000000000a1"), audit: Self.event(.created))
        try store.insertToken(try Self.token("00000000000000a2", name: "other"), audit: nil)
        let stored = try #require(try store.token(id: "00000000000000a1"))
        #expect(stored == (try Self.token("00000000000000a1")))
        #expect(stored.repositoryList == ["alpha"])
        #expect(stored.actionList == ["read", "write"])
        #expect(try store.token(id: "00000000000000ff") == nil)
        #expect(try store.tokens().count == 2)

        let error = #expect(throws: StorageError.self) { try store.insertToken(try Self.token("00000000000000a1"), audit: nil) }
        #expect(error?.code == .conflict)

        let revokedAt = Self.created.addingTimeInterval(60)
        let revoked = try #require(try store.revokeToken(id: "00000000000000a1", at: revokedAt, by: "user:root",
                                                          audit: Self.event(.revoked)))
        #expect(revoked.revokedAt == revokedAt)
        #expect(revoked.revokedBy == "user:root")
        // A second revocation keeps the first and writes no second event.
        let again = try #require(try store.revokeToken(id: "00000000000000a1", at: revokedAt.addingTimeInterval(60),
                                                        by: "user:other", audit: Self.event(.revoked)))
        #expect(again.revokedAt == revokedAt && again.revokedBy == "user:root")
        #expect(try store.revokeToken(id: "00000000000000ff", at: revokedAt, by: "user:root", audit: nil) == nil)
        let events = try store.auditEvents(AuditQuery(action: "token"))
        #expect(events.map(\.outcome) == [.revoked, .created])
    }

    @Test(arguments: StoreBackend.available)
    func tokensSurviveReopening(_ backend: StoreBackend) throws {
        let opened = try backend.open()
        try opened.store.insertToken(try Self.token("00000000000000b1"), audit: nil)
        let reopened = try opened.reopen()
        #expect(try reopened.token(id: "00000000000000b1")?.name == "ci")
    }
}
