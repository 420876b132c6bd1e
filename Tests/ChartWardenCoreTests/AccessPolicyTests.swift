import Testing
@testable import ChartWardenCore

@Suite("Access policy")
struct AccessPolicyTests {
    let configuration = try! ChartWardenConfiguration.parse(yaml: """
    server:
      tls: {certificate: a, privateKey: b, clientCA: c}
    auth:
      groups:
        ci: ["cert:ci-pusher"]
        admins: ["cert:admin"]
    repositories:
      - name: public
        read: ["anonymous"]
        write: ["group:ci"]
        delete: ["group:admins"]
      - name: private
        read: ["cert:reader"]
        write: ["group:ci"]
    """)

    var policy: AccessPolicy { AccessPolicy(auth: configuration.auth) }

    func repository(_ name: String) -> ChartRepository? {
        configuration.repositories.first { $0.name == name }.map { ChartRepository(configuration: $0, publicURL: nil) }
    }

    func principals(_ commonName: String?) -> Set<Principal> {
        policy.principals(for: commonName.map { CertificateNames(commonName: $0) })
    }

    func outcome(_ permission: Permission, _ repository: String, as commonName: String?) -> ServiceError.Code? {
        do {
            _ = try policy.authorize(permission, in: self.repository(repository), principals: principals(commonName))
            return nil
        } catch {
            return error.code
        }
    }

    @Test func principalsIncludeGroups() {
        #expect(principals(nil) == [.anonymous])
        #expect(principals("ci-pusher") == [.anonymous, .certificate("ci-pusher"), .group("ci")])
    }

    @Test func matrix() {
        // public: anyone reads; only ci writes; only admins delete.
        #expect(outcome(.read, "public", as: nil) == nil)
        #expect(outcome(.write, "public", as: nil) == .unauthorized)
        #expect(outcome(.write, "public", as: "reader") == .forbidden)
        #expect(outcome(.write, "public", as: "ci-pusher") == nil)
        #expect(outcome(.delete, "public", as: "ci-pusher") == .forbidden)
        #expect(outcome(.delete, "public", as: "admin") == nil)
        // private: unreadable looks missing to authenticated callers, 401 to anonymous ones.
        #expect(outcome(.read, "private", as: nil) == .unauthorized)
        #expect(outcome(.read, "private", as: "admin") == .notFound)
        #expect(outcome(.read, "missing", as: "admin") == .notFound)
        #expect(outcome(.read, "missing", as: nil) == .unauthorized)
        #expect(outcome(.read, "private", as: "reader") == nil)
        #expect(outcome(.write, "private", as: "reader") == .forbidden)
        #expect(outcome(.read, "private", as: "ci-pusher") == nil)
    }

    @Test func usersAndCertificatesTogether() {
        let both = policy.principals(for: CertificateNames(commonName: "reader"), user: "alice")
        #expect(both == [.anonymous, .certificate("reader"), .user("alice")])
        #expect(AccessPolicy.actor(both) == "user:alice")
        #expect(AccessPolicy.actor(principals("reader")) == "cert:reader")
        #expect(AccessPolicy.actor([.anonymous]) == "anonymous")
    }

    @Test func certificateNameFromAConfiguredSANType() {
        let identity = CertificateNames(commonName: "ignored", dnsNames: ["ci.example.com", "ci2.example.com"],
                                        uris: ["spiffe://example/ci"], emailAddresses: ["ci@example.com"])
        func names(_ source: ChartWardenConfiguration.Auth.CertificatePrincipal) -> Set<Principal> {
            AccessPolicy(auth: .init(certificatePrincipal: source)).principals(for: identity)
        }
        #expect(names(.commonName) == [.anonymous, .certificate("ignored")])
        #expect(names(.dnsName) == [.anonymous, .certificate("ci.example.com"), .certificate("ci2.example.com")])
        #expect(names(.uri) == [.anonymous, .certificate("spiffe://example/ci")])
        #expect(names(.email) == [.anonymous, .certificate("ci@example.com")])
    }

    @Test func adminRoutes() {
        func outcome(_ repository: String?, as commonName: String?) -> ServiceError.Code? {
            do {
                try policy.authorizeAdmin(for: repository.flatMap(self.repository), principals: principals(commonName))
                return nil
            } catch {
                return error.code
            }
        }
        // admins is empty in this configuration: delete holders administer their repository only.
        #expect(outcome(nil, as: nil) == .unauthorized)
        #expect(outcome(nil, as: "admin") == .forbidden)
        #expect(outcome("public", as: "admin") == nil)
        #expect(outcome("public", as: "ci-pusher") == .forbidden)
        let withAdmins = AccessPolicy(auth: .init(groups: configuration.auth.groups, admins: [.group("admins")]))
        #expect((try? withAdmins.authorizeAdmin(for: nil, principals: principals("admin"))) != nil)
    }

    /// The fast path and the router's shortcut ask this one question; a grant through a group that
    /// holds anonymous counts like a direct one.
    @Test func publicMeansAnonymousMayReadDirectlyOrThroughAGroup() throws {
        let configuration = try ChartWardenConfiguration.parse(yaml: """
        server:
          tls: {certificate: a, privateKey: b}
        auth:
          groups:
            everyone: ["anonymous"]
        repositories:
          - {name: direct, read: ["anonymous"]}
          - {name: grouped, read: ["group:everyone"]}
          - {name: private, read: ["cert:reader"]}
        """)
        let policy = AccessPolicy(auth: configuration.auth)
        #expect(configuration.repositories.map(policy.isPublic) == [true, true, false])
        #expect(policy.anonymousPrincipals == policy.principals(for: nil))
    }
}
