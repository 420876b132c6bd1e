import Testing
@testable import ChartWardenCore

/// Review F3: a token or workload no grant names is refused before any audit write; this is the
/// set the authenticator asks.
@Suite("Named principals")
struct NamedPrincipalsTests {
    @Test func grantsAdminsMetricsAndGroupMembersAreNamedOthersAreNot() throws {
        let configuration = try ChartWardenConfiguration.parse(yaml: """
        server:
          tls: {certificate: a, privateKey: b}
        auth:
          groups: {ci: ["token:ci", "gh:octo-org/app"], unused: ["token:orphan-in-unused-group"]}
          admins: ["cert:admin"]
          metrics: ["token:scraper"]
          oidc:
            - {issuer: "https://issuer.example", audience: cw, jwks: {file: /dev/null}, principal: "gh:{repository}"}
        repositories:
          - {name: stable, read: ["anonymous", "token:viewer"], write: ["group:ci"], delete: ["gh:octo-org/deleter"]}
        """)
        let named = configuration.namedPrincipals
        for principal: Principal in [.token("ci"), .token("viewer"), .token("scraper"), .certificate("admin"),
                                     .workload(kind: "gh", name: "octo-org/app"),
                                     .workload(kind: "gh", name: "octo-org/deleter")] {
            #expect(named.contains(principal), "\(principal)")
        }
        // A member of a group no grant names, and strangers of a public issuer, are not.
        for principal: Principal in [.token("orphan-in-unused-group"), .token("other"),
                                     .workload(kind: "gh", name: "attacker/r1")] {
            #expect(!named.contains(principal), "\(principal)")
        }
    }
}
