import Foundation
import Synchronization
import Testing
@testable import ChartWardenCore

@Suite("OIDC workload identity")
struct OIDCTests {
    static func template(_ text: String) throws -> PrincipalTemplate {
        try PrincipalTemplate.parse(text).get()
    }

    static let provider = OIDCProvider(
        issuer: "https://token.actions.example", audience: "chartwarden", keys: .file("/dev/null"),
        principal: try! template("ci:{repository}"), require: ["ref": "refs/heads/main"])

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(_ changes: [String: JWTClaimValue?] = [:]) -> [String: JWTClaimValue] {
        var claims: [String: JWTClaimValue] = [
            "iss": .string("https://token.actions.example"), "aud": .string("chartwarden"),
            "exp": .number(now.timeIntervalSince1970 + 300), "iat": .number(now.timeIntervalSince1970 - 5),
            "sub": .string("repo:octo-org/app:ref:refs/heads/main"), "repository": .string("octo-org/app"),
            "ref": .string("refs/heads/main"),
        ]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    @Test func templatesDeclareAKindOfTheirOwnAndNameAClaim() throws {
        #expect(try Self.template("ci:{repository}").kind == "ci")
        #expect(try Self.template("gh-actions:{repository_owner}/{workflow}").kind == "gh-actions")
        for bad in ["{repository}", "user:{repository}", "token:{sub}", "group:{x}", "cert:{x}", "CI:{x}", "ci:fixed",
                    "ci:{repo", "ci:}x{", "ci:{}", "ci:{a-b}", "ci:a b{x}", "ci:a:{x}"] {
            if case .success = PrincipalTemplate.parse(bad) { Issue.record("\(bad) was accepted") }
        }
    }

    @Test func renderingAcceptsOnlyTheStrictAlphabet() throws {
        let template = try Self.template("ci:{repository}@{ref}")
        #expect(template.render(["repository": .string("octo-org/app"), "ref": .string("main")])
                == .workload(kind: "ci", name: "octo-org/app@main"))
        for value in ["", "a b", "a:b", "group:x", "a\nb", "é", String(repeating: "a", count: 201)] {
            #expect(template.render(["repository": .string(value), "ref": .string("main")]) == nil, "\(value)")
        }
        #expect(template.render(["repository": .number(1), "ref": .string("main")]) == nil)
        #expect(template.render(["ref": .string("main")]) == nil)
    }

    @Test func judgeAcceptsTheRightTokenAndNamesIt() {
        let verdict = OIDCVerdict.judge(Self.claims(), provider: Self.provider, now: Self.now)
        guard case .valid(let identity) = verdict else { Issue.record("\(verdict)"); return }
        #expect(identity.principal.description == "ci:octo-org/app")
        #expect(identity.subject == "repo:octo-org/app:ref:refs/heads/main")
        // An audience list containing ours is accepted.
        #expect(OIDCVerdict.judge(Self.claims(["aud": .strings(["other", "chartwarden"])]), provider: Self.provider,
                                  now: Self.now) == verdict)
    }

    @Test func judgeRefusesEachBrokenRule() {
        let cases: [([String: JWTClaimValue?], OIDCVerdict.Refusal)] = [
            (["iss": .string("https://evil.example")], .unknownIssuer),
            (["exp": nil], .malformed),
            (["exp": .number(Self.now.timeIntervalSince1970 - 31)], .expired),
            (["nbf": .number(Self.now.timeIntervalSince1970 + 60)], .notYetValid),
            (["iat": .number(Self.now.timeIntervalSince1970 + 60)], .notYetValid),
            (["aud": .string("someone-else")], .audience),
            (["aud": .strings(["a", "b"])], .audience),
            (["aud": nil], .audience),
            (["ref": .string("refs/heads/feature")], .claim),
            (["ref": nil], .claim),
            (["ref": .strings(["refs/heads/main"])], .claim),
            (["sub": nil], .malformed),
            (["repository": .string("octo org")], .principal),
        ]
        for (changes, refusal) in cases {
            #expect(OIDCVerdict.judge(Self.claims(changes), provider: Self.provider, now: Self.now) == .refused(refusal),
                    "\(changes)")
        }
        // Within the clock leeway an expiry just past is still accepted.
        let justExpired = Self.claims(["exp": .number(Self.now.timeIntervalSince1970 - 10)])
        if case .refused = OIDCVerdict.judge(justExpired, provider: Self.provider, now: Self.now) { Issue.record("leeway") }
    }

    @Test func segmentsParseOnlyCompactJWTs() throws {
        func b64(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let token = b64(#"{"alg":"RS256","kid":"k1"}"#) + "." + b64(#"{"iss":"x","n":1,"aud":["a"]}"#) + ".c2ln"
        let segments = try #require(JWTSegments(token))
        #expect(segments.algorithm == "RS256" && segments.keyID == "k1")
        #expect(segments.claims["iss"] == .string("x") && segments.claims["aud"] == .strings(["a"]))
        for bad in ["", "a.b", "a.b.c.d", token + "x.", b64("{}") + "." + b64("{}") + ".", "a+b.c.d",
                    b64(#"{"kid":"k1"}"#) + "." + b64("{}") + ".c2ln", b64(#"{"alg":"RS256"}"#) + "." + b64("[1]") + ".c2ln",
                    String(repeating: "a", count: 20_000) + ".b.c"] {
            #expect(JWTSegments(bad) == nil, "\(bad.prefix(40))")
        }
    }

    @Test func configurationParsesProvidersAndTheirPrincipals() throws {
        let configuration = try ChartWardenConfiguration.parse(yaml: """
        server:
          tls: {certificate: a, privateKey: b}
        auth:
          oidc:
            - issuer: https://token.actions.example
              audience: chartwarden
              jwks: {file: /dev/null}
              principal: "ci:{repository}"
              require: {ref: refs/heads/main}
          groups:
            release: ["ci:octo-org/app"]
        repositories:
          - {name: stable, read: ["anonymous"], write: ["group:release", "ci:octo-org/lib"]}
        """)
        #expect(configuration.auth.oidc == [Self.provider])
        #expect(configuration.repositories[0].write.contains(.workload(kind: "ci", name: "octo-org/lib")))
        #expect(configuration.auth.groups["release"] == [.workload(kind: "ci", name: "octo-org/app")])
        // Without the provider, `ci:` is no principal.
        #expect(throws: ConfigurationError.self) {
            try ChartWardenConfiguration.parse(yaml: """
            server: {tls: {certificate: a, privateKey: b}}
            repositories: [{name: stable, write: ["ci:octo-org/lib"]}]
            """)
        }
        for (entry, key) in [
            ("{issuer: http://x, audience: a, jwks: {file: /dev/null}, principal: 'ci:{r}'}", "issuer"),
            ("{issuer: https://x, jwks: {file: /dev/null}, principal: 'ci:{r}'}", "audience"),
            ("{issuer: https://x, audience: a, jwks: {file: /dev/null, url: 'https://y'}, principal: 'ci:{r}'}", "jwks"),
            ("{issuer: https://x, audience: a, jwks: {url: 'http://y'}, principal: 'ci:{r}'}", "url"),
            ("{issuer: https://x, audience: a, jwks: {file: /nonexistent}, principal: 'ci:{r}'}", "file"),
            ("{issuer: https://x, audience: a, jwks: {file: /dev/null}, principal: 'user:{r}'}", "principal"),
            ("{issuer: https://x, audience: a, jwks: {file: /dev/null}, principal: 'ci:{r}', extra: 1}", "extra"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try ChartWardenConfiguration.parse(yaml: """
                server: {tls: {certificate: a, privateKey: b}}
                auth: {oidc: [\(entry)]}
                repositories: [{name: stable}]
                """)
            }
            #expect(error?.key.contains(key) == true || "\(error.map { "\($0)" } ?? "")".contains(key), "\(entry)")
        }
    }
}

@Suite("OIDC key refresh")
struct OIDCKeyRefreshTests {
    final class CountingFetch: Sendable {
        let calls = Mutex(0)
        let answer: [UInt8]?

        init(_ answer: String?) { self.answer = answer.map { Array($0.utf8) } }

        var fetch: OIDCVerifier.Fetch {
            { [self] _ in
                calls.withLock { $0 += 1 }
                guard let answer else { throw OIDCKeyError("issuer down") }
                return answer
            }
        }
    }

    /// A fixed clock: the refresh limits see no time pass, however slow the machine.
    static let instant = ContinuousClock.now

    /// A token of the test issuer naming key `kid` (its signature is never reached).
    static func token(kid: String) -> String {
        func b64(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return b64(#"{"alg":"RS256","kid":"\#(kid)"}"#) + "." + b64(#"{"iss":"https://token.actions.example"}"#) + ".c2ln"
    }

    @Test func unknownKeyIDsRefreshAtMostOncePerInterval() async {
        let counter = CountingFetch(#"{"keys":[]}"#)
        let verifier = OIDCVerifier(providers: [OIDCTests.provider], fetch: counter.fetch, now: { Self.instant })
        var verdicts: [OIDCVerdict] = []
        for kid in ["a", "b", "c", "d"] { verdicts.append(await verifier.verify(Self.token(kid: kid))) }
        #expect(verdicts == Array(repeating: .refused(.unknownKey), count: 4))
        // The first load, one refresh right after it, then nothing within the interval.
        #expect(counter.calls.withLock { $0 } == 2)
    }

    @Test func anIssuerThatIsDownIsRetriedAtMostEveryFewSeconds() async {
        let counter = CountingFetch(nil)
        let verifier = OIDCVerifier(providers: [OIDCTests.provider], fetch: counter.fetch, now: { Self.instant })
        var verdicts: [OIDCVerdict] = []
        for kid in ["a", "b", "c"] { verdicts.append(await verifier.verify(Self.token(kid: kid))) }
        #expect(verdicts == Array(repeating: .refused(.keysUnavailable), count: 3))
        #expect(counter.calls.withLock { $0 } == 1)
    }

    @Test func otherIssuersAndAlgorithmsAreRefusedBeforeAnyFetch() async {
        let counter = CountingFetch(#"{"keys":[]}"#)
        let verifier = OIDCVerifier(providers: [OIDCTests.provider], fetch: counter.fetch, now: { Self.instant })
        func b64(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let otherIssuer = b64(#"{"alg":"RS256","kid":"a"}"#) + "." + b64(#"{"iss":"https://evil.example"}"#) + ".c2ln"
        let hmac = b64(#"{"alg":"HS256","kid":"a"}"#) + "." + b64(#"{"iss":"https://token.actions.example"}"#) + ".c2ln"
        let noKeyID = b64(#"{"alg":"ES256"}"#) + "." + b64(#"{"iss":"https://token.actions.example"}"#) + ".c2ln"
        #expect(await verifier.verify(otherIssuer) == .refused(.unknownIssuer))
        #expect(await verifier.verify(hmac) == .refused(.algorithm))
        #expect(await verifier.verify(noKeyID) == .refused(.unknownKey))
        #expect(await verifier.verify("not.a.jwt") == .refused(.malformed))
        #expect(counter.calls.withLock { $0 } == 0)
    }
}
