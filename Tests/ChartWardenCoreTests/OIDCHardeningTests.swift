import Foundation
import JWTKit
import Testing
@testable import ChartWardenCore

/// The hostile review of scoped tokens and OIDC (F1–F12): each test fails on the code it reviewed.
@Suite("OIDC and token hardening")
struct OIDCHardeningTests {
    static func configuration(_ oidc: String, extra: String = "") throws -> ChartWardenConfiguration {
        try ChartWardenConfiguration.parse(yaml: """
        server: {tls: {certificate: a, privateKey: b}}
        auth:
          oidc: \(oidc)
        \(extra)
        repositories: [{name: stable}]
        """)
    }

    static func refusal(_ oidc: String, extra: String = "") -> String? {
        do {
            _ = try configuration(oidc, extra: extra)
            return nil
        } catch let error as ConfigurationError {
            return "\(error.key): \(error)"
        } catch {
            return "\(error)"
        }
    }

    // F2: a kind belongs to one issuer, and never to another kind of principal.
    @Test func aKindIsBoundToOneIssuer() throws {
        let shared = """
        [{issuer: "https://a.example", audience: x, jwks: {file: /dev/null}, principal: "ci:{repository}"},
               {issuer: "https://b.example", audience: x, jwks: {file: /dev/null}, principal: "ci:{project_path}"}]
        """
        let error = try #require(Self.refusal(shared))
        #expect(error.contains("auth.oidc[1].principal") && error.contains("https://a.example"), "\(error)")
        // The same issuer may have several entries (audiences, rules) of one kind.
        _ = try Self.configuration("""
        [{issuer: "https://a.example", audience: x, jwks: {file: /dev/null}, principal: "ci:{repository}"},
               {issuer: "https://a.example", audience: y, jwks: {file: /dev/null}, principal: "ci:{repository}"}]
        """)
        for kind in ["anonymous", "user", "cert", "token", "group"] {
            #expect(Self.refusal("[{issuer: \"https://a.example\", audience: x, jwks: {file: /dev/null}, principal: \"\(kind):{sub}\"}]")?
                .contains("belongs to other principals") == true, "\(kind)")
        }
    }

    // F7: user `token` is the Basic user of API tokens, so no grant may name it.
    @Test func theUserNamedTokenIsReserved() {
        let error = Self.refusal("[]", extra: "  admins: [\"user:token\"]")
        #expect(error?.contains("auth.admins[0]") == true && error?.contains("reserved") == true, "\(error ?? "accepted")")
    }

    static let tokenPolicy = AccessPolicy(auth: try! configuration(
        "[{issuer: \"https://a.example\", audience: x, jwks: {file: /dev/null}, principal: \"ci:{repository}\"}]",
        extra: "  admins: [\"user:root\", \"token:ops\", \"ci:octo-org/app\"]").auth)

    // F1: /metrics narrows by a token's scope like every other check.
    @Test func aScopedTokenNeverReadsMetrics() {
        let policy = Self.tokenPolicy
        let ops = policy.principals(for: nil, caller: .token(name: "ops", scope: AccessScope(repositories: ["stable"], actions: [.read])))
        #expect(!policy.mayReadMetrics(ops))
        #expect(policy.mayReadMetrics(policy.principals(for: nil, user: "root")))
        #expect(!policy.mayReadMetrics(policy.principals(for: nil, user: "someone")))
    }

    // F6: a workload in the admins keeps the admin routes but never manages tokens.
    @Test func workloadsAndTokensNeverManageTokens() {
        let policy = Self.tokenPolicy
        let workload = policy.principals(for: nil, caller: .workload(.workload(kind: "ci", name: "octo-org/app")))
        #expect(throws: Never.self) { try policy.authorizeAdmin(for: nil, principals: workload) }
        #expect(throws: ServiceError.self) { try policy.authorizeTokenAdmin(principals: workload) }
        let token = policy.principals(for: nil, caller: .token(name: "ops", scope: AccessScope(repositories: ["stable"], actions: [.write])))
        #expect(throws: ServiceError.self) { try policy.authorizeTokenAdmin(principals: token) }
        #expect(throws: Never.self) { try policy.authorizeTokenAdmin(principals: policy.principals(for: nil, user: "root")) }
    }

    // F5: a JWK without `alg` verifies the algorithms of its key type only.
    @Test func aJWKWithoutAlgorithmServesItsKeyTypeOnly() throws {
        func jwk(_ json: String) throws -> JWK { try JSONDecoder().decode(JWK.self, from: Data(json.utf8)) }
        let rsa = #""kty":"RSA","kid":"r","n":"AQAB","e":"AQAB""#
        let ec = #""kty":"EC","kid":"e","x":"AQAB","y":"AQAB""#
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(rsa)}")) == ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(rsa),\"alg\":\"PS256\"}")) == ["PS256"])
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(rsa),\"alg\":\"ES256\"}")) == nil)
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(ec),\"crv\":\"P-256\"}")) == ["ES256"])
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(ec),\"crv\":\"P-384\"}")) == ["ES384"])
        #expect(OIDCVerifier.usableAlgorithms(try jwk("{\(ec),\"crv\":\"P-256\",\"alg\":\"ES384\"}")) == nil)
        #expect(OIDCVerifier.usableAlgorithms(try jwk(#"{"kty":"OKP","crv":"Ed25519","kid":"o","x":"AQAB"}"#)) == nil)
    }

    // F11: times of the wrong type are malformed; lifetimes are bounded.
    @Test func claimTimesAreNumbersAndLifetimesAreBounded() throws {
        let provider = OIDCTests.provider
        let now = OIDCTests.now.timeIntervalSince1970
        for name in ["nbf", "iat"] {
            #expect(OIDCVerdict.judge(OIDCTests.claims([name: .string("\(Int(now))")]), provider: provider, now: OIDCTests.now)
                    == .refused(.malformed), "\(name)")
        }
        let year = OIDCTests.claims(["exp": .number(now + 365 * 86_400)])
        #expect(OIDCVerdict.judge(year, provider: provider, now: OIDCTests.now) == .refused(.lifetime))
        // Without `iat`, the time left counts.
        let noIssuedAt = OIDCTests.claims(["iat": nil, "exp": .number(now + 2 * 3_600)])
        #expect(OIDCVerdict.judge(noIssuedAt, provider: provider, now: OIDCTests.now) == .refused(.lifetime))
        var longer = provider
        longer.maxTokenLifetime = 3 * 3_600
        if case .refused(let why) = OIDCVerdict.judge(noIssuedAt, provider: longer, now: OIDCTests.now) { Issue.record("\(why)") }
        let configured = try Self.configuration("""
        [{issuer: "https://a.example", audience: x, jwks: {file: /dev/null}, principal: "ci:{sub}", maxTokenLifetimeSeconds: 10800}]
        """)
        #expect(configured.auth.oidc[0].maxTokenLifetime == 10_800)
        #expect(configured.auth.oidc[0].maxTokenLifetime != OIDCProvider.defaultMaxTokenLifetime)
    }

    // F3: the startup warning's judgement — `require: {ref: …}` alone admits every repository.
    @Test func requireMustPinTheOwner() {
        var provider = OIDCTests.provider
        #expect(!provider.requirePinsOwner)
        provider.require["repository_owner_id"] = "123456"
        #expect(provider.requirePinsOwner)
    }

    // F10: one rendering, one reading.
    @Test func templatesAreUnambiguous() throws {
        if case .success = PrincipalTemplate.parse("ci:{a}{b}") { Issue.record("adjacent claims accepted") }
        let template = try OIDCTests.template("ci:{a}-{b}")
        #expect(template.render(["a": .string("x-y"), "b": .string("z")]) == nil)
        #expect(template.render(["a": .string("x"), "b": .string("y-z")]) == .workload(kind: "ci", name: "x-y-z"))
        // The last claim is free: only a following literal constrains a value.
        #expect(try OIDCTests.template("ci:{repository}").render(["repository": .string("a-b/c")]) != nil)
    }

    // F12 (and F5 end to end): an unknown kid never falls back to another key.
    @Test func anUnknownKeyIDNeverFallsBackToAKnownKey() async throws {
        let key = ES256PrivateKey()
        let (x, y) = try #require(key.publicKey.parameters)
        // No `alg`: the JWK serves ES256, its curve's algorithm.
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"\#(x)","y":"\#(y)"}]}"#
        let verifier = OIDCVerifier(providers: [OIDCTests.provider], fetch: { _ in Array(jwks.utf8) })
        let signers = JWTKeyCollection()
        await signers.add(ecdsa: key, kid: "k1")
        let now = Date()
        let payload = Claims(exp: now.timeIntervalSince1970 + 300, iat: now.timeIntervalSince1970 - 5)
        #expect(await verifier.verify(try await signers.sign(payload, kid: "k1"), now: now)
                == .valid(.init(principal: .workload(kind: "ci", name: "octo-org/app"), issuer: OIDCTests.provider.issuer,
                                subject: payload.sub, expiresAt: Date(timeIntervalSince1970: payload.exp))))
        // Signed by k1 but naming a kid the JWKS lacks: jwt-kit alone would verify it with its first key.
        #expect(await verifier.verify(try await signers.sign(payload, kid: "someone-else"), now: now) == .refused(.unknownKey))
    }

    struct Claims: JWTPayload {
        var iss = "https://token.actions.example"
        var aud = "chartwarden"
        var sub = "repo:octo-org/app:ref:refs/heads/main"
        var repository = "octo-org/app"
        var ref = "refs/heads/main"
        var exp: Double
        var iat: Double

        init(exp: Double, iat: Double) {
            self.exp = exp
            self.iat = iat
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
