import Foundation
import Storage
import Testing
@testable import ChartWardenCore

@Suite("API tokens")
struct APITokenTests {
    let configuration = try! ChartWardenConfiguration.parse(yaml: """
    server:
      tls: {certificate: a, privateKey: b}
    auth:
      groups:
        release: ["token:ci-release"]
        admins: ["user:root", "token:ops"]
      admins: ["group:admins"]
    repositories:
      - {name: alpha, read: ["token:ci"], write: ["token:ci", "group:release"], delete: ["token:ci"]}
      - {name: beta, read: ["token:ci"], write: ["token:ci"]}
      - {name: open, read: ["anonymous"], write: ["group:release"]}
    """)

    var policy: AccessPolicy { AccessPolicy(auth: configuration.auth) }

    func repository(_ name: String) -> ChartWardenConfiguration.Repository {
        configuration.repositories.first { $0.name == name }!
    }

    func token(_ name: String, _ repositories: Set<String>, _ actions: Set<Permission>) -> Set<Principal> {
        policy.principals(for: nil, caller: .token(name: name, scope: AccessScope(repositories: repositories, actions: actions)))
    }

    // MARK: the text of a token

    @Test func generatedTokensParseBackAndDiffer() throws {
        let first = APITokenCredential.generate()
        let second = APITokenCredential.generate()
        #expect(first != second)
        #expect(first.text.hasPrefix("cwt_"))
        #expect(first.text.utf8.count == 4 + 16 + 1 + 64)
        let parsed = try #require(APITokenCredential(first.text))
        #expect(parsed == first)
        #expect(first.matches(storedHash: first.secretHash))
        #expect(!second.matches(storedHash: first.secretHash))
    }

    @Test(arguments: ["", "cwt_", "abc", "cwt_0123456789abcdef_" + String(repeating: "a", count: 63),
                      "cwt_0123456789abcdef_" + String(repeating: "a", count: 65),
                      "cwt_0123456789ABCDEF_" + String(repeating: "a", count: 64),
                      "cwt_0123456789abcdef-" + String(repeating: "a", count: 64),
                      "cwx_0123456789abcdef_" + String(repeating: "a", count: 64),
                      "cwt_0123456789abcdef_" + String(repeating: "g", count: 64)])
    func malformedTokensDoNotParse(_ text: String) {
        #expect(APITokenCredential(text) == nil)
    }

    // MARK: judging a presented token

    func record(_ credential: APITokenCredential, expiresIn: TimeInterval = 3_600, revoked: Bool = false) throws -> APITokenRecord {
        try APITokenRecord(id: credential.id, name: "ci", secretHash: credential.secretHash, repositories: ["alpha"],
                           actions: ["read"], createdAt: now, createdBy: "user:root",
                           expiresAt: now.addingTimeInterval(expiresIn), revokedAt: revoked ? now : nil)
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func judgeChecksTheSecretBeforeRevocationAndExpiry() throws {
        let credential = APITokenCredential.generate()
        let other = APITokenCredential.generate()
        let scope = AccessScope(repositories: ["alpha"], actions: [.read])
        #expect(APITokenVerdict.judge(credential, stored: try record(credential), now: now) == .valid(name: "ci", scope: scope))
        #expect(APITokenVerdict.judge(credential, stored: nil, now: now) == .refused(.unknown))
        // Another token's row (same id would be a collision) or a wrong secret proves nothing,
        // and says nothing about that row's state.
        #expect(APITokenVerdict.judge(credential, stored: try record(other, revoked: true), now: now) == .refused(.unknown))
        let forged = try #require(APITokenCredential("cwt_" + credential.id + "_" + String(repeating: "0", count: 64)))
        #expect(APITokenVerdict.judge(forged, stored: try record(credential, revoked: true), now: now) == .refused(.unknown))
        #expect(APITokenVerdict.judge(credential, stored: try record(credential, revoked: true), now: now) == .refused(.revoked))
        #expect(APITokenVerdict.judge(credential, stored: try record(credential, expiresIn: 0), now: now) == .refused(.expired))
    }

    // MARK: validating a creation

    func request(name: String? = "ci", repositories: [String]? = ["alpha"], actions: [String]? = ["write"],
                 expiresAt: Date?? = nil) throws(ServiceError) -> APITokenRequest {
        try APITokenRequest(name: name, repositories: repositories, actions: actions,
                            expiresAt: expiresAt ?? now.addingTimeInterval(86_400), now: now,
                            knownRepositories: ["alpha", "beta", ""])
    }

    func refusal(_ make: () throws(ServiceError) -> APITokenRequest) -> String? {
        do {
            _ = try make()
            return nil
        } catch {
            #expect(error.code == .badRequest)
            return error.message
        }
    }

    @Test func creationIsValidatedFieldByField() throws {
        let valid = try request(repositories: ["alpha", ""], actions: ["read", "write", "read"])
        #expect(valid.scope == AccessScope(repositories: ["alpha", ""], actions: [.read, .write]))
        #expect(refusal { () throws(ServiceError) in try request(name: nil) }?.contains("name") == true)
        for name in ["", "-ci", "ci:x", "ci x", "ci/x", String(repeating: "a", count: 65), "é"] {
            #expect(refusal { () throws(ServiceError) in try request(name: name) }?.contains("name") == true, "\(name)")
        }
        #expect(refusal { () throws(ServiceError) in try request(repositories: []) }?.contains("repositories") == true)
        #expect(refusal { () throws(ServiceError) in try request(repositories: ["gamma"]) }?.contains("gamma") == true)
        #expect(refusal { () throws(ServiceError) in try request(actions: []) }?.contains("actions") == true)
        #expect(refusal { () throws(ServiceError) in try request(actions: ["admin"]) }?.contains("admin") == true)
        #expect(refusal { () throws(ServiceError) in try request(expiresAt: .some(nil)) }?.contains("expiresAt") == true)
        #expect(refusal { () throws(ServiceError) in try request(expiresAt: now) }?.contains("future") == true)
        #expect(refusal { () throws(ServiceError) in
            try request(expiresAt: now.addingTimeInterval(367 * 86_400))
        }?.contains("366") == true)
    }

    // MARK: scope narrows grants

    @Test func scopeNarrowsTheGrantsOfTheTokensName() {
        let readOnly = token("ci", ["alpha"], [.read])
        #expect(policy.granted(.read, in: repository("alpha"), to: readOnly))
        // token:ci holds write in alpha, but this token is scoped to read.
        #expect(!policy.granted(.write, in: repository("alpha"), to: readOnly))
        #expect(!policy.granted(.delete, in: repository("alpha"), to: readOnly))
        // Not in its repositories, though token:ci may read beta.
        #expect(!policy.granted(.read, in: repository("beta"), to: readOnly))
        // Outside its scope a token keeps what anonymous has, and nothing more.
        #expect(policy.granted(.read, in: repository("open"), to: readOnly))
        #expect(!policy.granted(.write, in: repository("open"), to: token("ci-release", ["alpha"], [.write])))

        let writer = token("ci", ["alpha", "beta"], [.write])
        #expect(policy.granted(.write, in: repository("alpha"), to: writer))
        #expect(policy.granted(.read, in: repository("beta"), to: writer))
        #expect(!policy.granted(.delete, in: repository("alpha"), to: writer))
    }

    @Test func scopeNeverWidensAndGroupsApply() {
        // A scope naming write where the name holds no grant gives nothing.
        #expect(!policy.granted(.write, in: repository("beta"), to: token("ci-release", ["beta"], [.write])))
        // Through group:release, token:ci-release writes in alpha and open.
        let release = token("ci-release", ["alpha", "open"], [.write])
        #expect(release.contains(.group("release")))
        #expect(policy.granted(.write, in: repository("alpha"), to: release))
        #expect(policy.granted(.write, in: repository("open"), to: release))
        #expect(AccessPolicy.actor(release) == "token:ci-release")
    }

    @Test func aTokenNeverAdministers() throws {
        // token:ops is in group admins, yet a token request is never admin.
        let ops = token("ops", ["alpha"], [.read, .write, .delete])
        #expect(ops.contains(.group("admins")))
        #expect(!policy.isAdmin(ops))
        #expect(throws: ServiceError.self) { try policy.authorizeAdmin(for: nil, principals: ops) }
        // Nor the per-repository admin routes, though token:ci may delete in alpha and its scope says delete.
        let alpha = ChartRepository(configuration: repository("alpha"), publicURL: nil)
        let deleter = token("ci", ["alpha"], [.delete])
        #expect(policy.granted(.delete, in: repository("alpha"), to: deleter))
        #expect(throws: ServiceError.self) { try policy.authorizeAdmin(for: alpha, principals: deleter) }
        #expect(policy.isAdmin(policy.principals(for: nil, user: "root")))
    }

    @Test func tokenPrincipalsParseFromConfiguration() {
        #expect(Principal("token:ci") == .token("ci"))
        #expect(Principal("token:") == nil)
        #expect(Principal.token("ci").description == "token:ci")
    }
}
