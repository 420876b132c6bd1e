import ContentPolicy
import Testing
@testable import ChartWardenCore

@Suite("Configuration")
struct ConfigurationTests {
    static let minimal = """
    server:
      listen: "127.0.0.1:8443"
      tls:
        certificate: server.crt
        privateKey: server.key
    repositories:
      - name: stable
        read: ["anonymous"]
    """

    func error(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try ChartWardenConfiguration.parse(yaml: yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalConfigurationGetsDefaults() throws {
        let configuration = try ChartWardenConfiguration.parse(yaml: Self.minimal)
        #expect(configuration.server.listen == ListenAddress(host: "127.0.0.1", port: 8443))
        #expect(configuration.server.maxUploadBytes == 20 * 1_024 * 1_024)
        #expect(configuration.server.readTimeoutSeconds == 30)
        #expect(configuration.server.tls.clientAuth == .none)
        #expect(configuration.storage.dataDirectory == "./data")
        #expect(configuration.repositories.map(\.name) == ["stable"])
        #expect(configuration.repositories[0].read == [.anonymous])
        #expect(configuration.repositories[0].provenanceMode == .off)
    }

    @Test func theSampleConfigurationLoads() throws {
        let configuration = try ChartWardenConfiguration.load(path: TestPaths.top + "/config/chartwarden.yaml")
        #expect(configuration.server.tls.clientAuth == .optional)
        #expect(configuration.repositories.contains { $0.name == "stable" })
    }

    @Test func unknownKeysAreNamed() {
        #expect(error(Self.minimal + "\nextra: 1")?.key == "extra")
        #expect(error(Self.minimal.replacingOccurrences(of: "    privateKey", with: "    privatekey"))?.key
            == "server.tls.privatekey")
        #expect(error(Self.minimal + "\n    alowOverwrite: true")?.key == "repositories[0].alowOverwrite")
    }

    @Test func invalidValuesAreNamed() {
        #expect(error(Self.minimal.replacingOccurrences(of: "127.0.0.1:8443", with: "nowhere"))?.key == "server.listen")
        #expect(error(Self.minimal + "\n    write: [\"anonymous\"]")?.key == "repositories[0].write")
        #expect(error(Self.minimal + "\n    delete: [\"group:nobody\"]")?.key == "repositories[0].delete[0]")
        #expect(error(Self.minimal.replacingOccurrences(of: "[\"anonymous\"]", with: "[\"everyone\"]"))?.key
            == "repositories[0].read[0]")
        #expect(error(Self.minimal.replacingOccurrences(of: "name: stable", with: "name: api"))?.key
            == "repositories[0].name")
        #expect(error(Self.minimal.replacingOccurrences(of: "name: stable", with: "name: Stable"))?.key
            == "repositories[0].name")
        #expect(error(Self.minimal + "\n  - name: stable")?.key == "repositories[1].name")
        #expect(error(Self.minimal.replacingOccurrences(of: "  tls:", with: "  maxUploadBytes: -5\n  tls:"))?.key
            == "server.maxUploadBytes")
    }

    /// `audit.retentionDays`: a year by default, fractions of a day allowed, errors name the key.
    @Test func auditRetention() throws {
        #expect(try ChartWardenConfiguration.parse(yaml: Self.minimal).audit.retention == .seconds(365 * 86_400))
        let half = try ChartWardenConfiguration.parse(yaml: Self.minimal + "\naudit:\n  retentionDays: 0.5")
        #expect(half.audit.retention == .seconds(43_200))
        for bad in ["0", "-1", "36501", "soon", ".nan", "[1]"] {
            let error = error(Self.minimal + "\naudit:\n  retentionDays: \(bad)")
            #expect(error?.key == "audit.retentionDays", "\(bad)")
        }
        #expect(error(Self.minimal + "\naudit:\n  retentionDay: 3")?.key == "audit.retentionDay")
    }

    @Test func theFailureLimiterTableSizeIsConfigurable() throws {
        #expect(try ChartWardenConfiguration.parse(yaml: Self.minimal).auth.failureLimit.maxTracked == 50_000)
        let small = try ChartWardenConfiguration.parse(yaml: Self.minimal + "\nauth:\n  failureLimit:\n    maxTracked: 2000")
        #expect(small.auth.failureLimit.maxTracked == 2_000)
        #expect(error(Self.minimal + "\nauth:\n  failureLimit:\n    maxTracked: 5")?.key == "auth.failureLimit.maxTracked")
    }

    @Test func plaintextOnlyOnLoopback() throws {
        let loopback = Self.minimal.replacingOccurrences(of: "  tls:", with: "  plaintextListen: \"127.0.0.1:8080\"\n  tls:")
        #expect(try ChartWardenConfiguration.parse(yaml: loopback).server.plaintextListen?.port == 8080)
        let open = Self.minimal.replacingOccurrences(of: "  tls:", with: "  plaintextListen: \"0.0.0.0:8080\"\n  tls:")
        #expect(error(open)?.key == "server.plaintextListen")
    }

    @Test func clientAuthNeedsACA() {
        let yaml = Self.minimal.replacingOccurrences(of: "    privateKey: server.key",
                                                     with: "    privateKey: server.key\n    clientAuth: required")
        #expect(error(yaml)?.key == "server.tls.clientCA")
    }

    @Test func provenanceSettings() throws {
        let enforce = try ChartWardenConfiguration.parse(yaml: Self.minimal + "\n    provenance:\n      mode: enforce\n      stagingTTLSeconds: 60")
        #expect(enforce.repositories[0].provenanceMode == .enforce)
        #expect(enforce.repositories[0].stagingTTLSeconds == 60)
        #expect(error(Self.minimal + "\n    provenance:\n      mode: strict")?.key == "repositories[0].provenance.mode")
        #expect(error(Self.minimal + "\n    provenance:\n      trustedKeys: [/no/such/key.asc]")?.key
            == "repositories[0].provenance.trustedKeys[0]")
    }

    @Test func indexFormatDefaultsToYAMLAndNamesItsKey() throws {
        #expect(try ChartWardenConfiguration.parse(yaml: Self.minimal).repositories[0].indexFormat == .yaml)
        #expect(try ChartWardenConfiguration.parse(yaml: Self.minimal + "\n    indexFormat: json").repositories[0].indexFormat == .json)
        let wrong = error(Self.minimal + "\n    indexFormat: toml")
        #expect(wrong?.key == "repositories[0].indexFormat")
        #expect(wrong?.message.contains("yaml or json") == true)
        #expect(error(Self.minimal + "\n    indexFormat: [json]")?.key == "repositories[0].indexFormat")
    }

    @Test func contentPolicyDefaultsAndSettings() throws {
        #expect(try ChartWardenConfiguration.parse(yaml: Self.minimal).repositories[0].contentPolicy == .default)
        #expect(ContentPolicy.default.mode == .enforce && ContentPolicy.default.dynamicKinds == .deny)
        #expect(ContentPolicy.default.denyKinds.contains("ClusterRoleBinding"))
        let configured = try ChartWardenConfiguration.parse(yaml: Self.minimal + """

            contentPolicy:
              mode: warn
              warnKinds: [IngressClass]
              dynamicKinds: warn
              allow:
                - {chart: "kube-state-*", kinds: [ClusterRole, ClusterRoleBinding],
                   signers: ["2c22e09778d370b1295ff8df219ff374dec0ce9a"]}
                - {chart: trusted, kinds: ["*"], uploaders: ["group:release"],
                   digests: ["sha256:\(String(repeating: "ab", count: 32))"]}
        """).repositories[0].contentPolicy
        #expect(configured.mode == .warn)
        #expect(configured.denyKinds == ContentPolicy.defaultDenyKinds)
        #expect(configured.warnKinds == ["IngressClass"])
        #expect(configured.dynamicKinds == .warn)
        #expect(configured.allow == [.init(chart: "kube-state-*", kinds: ["ClusterRole", "ClusterRoleBinding"],
                                           signers: ["2C22E09778D370B1295FF8DF219FF374DEC0CE9A"]),
                                     .init(chart: "trusted", kinds: ["*"], digests: ["sha256:" + String(repeating: "ab", count: 32)],
                                           uploaders: ["group:release"])])
        let prefix = "repositories[0].contentPolicy"
        #expect(error(Self.minimal + "\n    contentPolicy:\n      mode: strict")?.key == prefix + ".mode")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      denyKinds: [\"*\"]")?.key == prefix + ".denyKinds[0]")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{kinds: [Role]}]")?.key == prefix + ".allow[0].chart")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{chart: x, kinds: []}]")?.key
            == prefix + ".allow[0].kinds")
        // A chart name is the writer's choice: an entry must name a signer, digest or uploader.
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{chart: x, kinds: [Role]}]")?.key
            == prefix + ".allow[0]")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{chart: x, kinds: [Role], signers: [ABC]}]")?.key
            == prefix + ".allow[0].signers[0]")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{chart: x, kinds: [Role], digests: [abc]}]")?.key
            == prefix + ".allow[0].digests[0]")
        #expect(error(Self.minimal + "\n    contentPolicy:\n      allow: [{chart: x, kinds: [Role], uploaders: [anonymous]}]")?.key
            == prefix + ".allow[0].uploaders[0]")
    }

    @Test func authDefaultsAndKeys() throws {
        let defaults = try ChartWardenConfiguration.parse(yaml: Self.minimal).auth
        #expect(defaults.htpasswd == nil)
        #expect(defaults.certificatePrincipal == .commonName)
        #expect(defaults.failureLimit == .default)
        let yaml = Self.minimal.replacingOccurrences(of: "repositories:", with: """
        auth:
          htpasswd: config/htpasswd
          certificatePrincipal: dnsName
          groups: {admins: ["user:root"], ops: ["user:ops"]}
          admins: ["group:admins"]
          metrics: ["group:ops", "anonymous"]
          failureLimit: {perAddress: 5, perUser: 7, refillSeconds: 2}
        repositories:
        """)
        let auth = try ChartWardenConfiguration.parse(yaml: yaml).auth
        #expect(auth.htpasswd == "config/htpasswd")
        #expect(auth.certificatePrincipal == .dnsName)
        #expect(auth.metrics == [.group("ops"), .anonymous])
        #expect(auth.failureLimit == .init(perAddress: 5, perUser: 7, refill: .seconds(2)))
        // Metrics default to the admins.
        let adminsOnly = yaml.replacingOccurrences(of: "  metrics: [\"group:ops\", \"anonymous\"]\n", with: "")
        #expect(try ChartWardenConfiguration.parse(yaml: adminsOnly).auth.metrics == [.group("admins")])
        #expect(error(yaml.replacingOccurrences(of: "dnsName", with: "serial"))?.key == "auth.certificatePrincipal")
        #expect(error(yaml.replacingOccurrences(of: "perUser: 7", with: "perUser: 0"))?.key == "auth.failureLimit.perUser")
    }

    @Test func anonymousCanNeverWriteDeleteOrAdminister() {
        let withGroup = Self.minimal.replacingOccurrences(of: "repositories:", with: """
        auth:
          groups: {everyone: ["anonymous", "user:ci"]}
        repositories:
        """)
        #expect(error(withGroup + "\n    write: [\"group:everyone\"]")?.key == "repositories[0].write")
        #expect(error(withGroup + "\n    delete: [\"group:everyone\"]")?.key == "repositories[0].delete")
        let admins = withGroup.replacingOccurrences(of: "repositories:", with: "  admins: [\"group:everyone\"]\nrepositories:")
        #expect(error(admins)?.key == "auth.admins")
        #expect(error(Self.minimal.replacingOccurrences(of: "name: stable", with: "name: admin"))?.key
            == "repositories[0].name")
    }

    @Test func adminListener() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "  tls:", with: "  adminListen: \"127.0.0.1:9443\"\n  tls:")
        #expect(try ChartWardenConfiguration.parse(yaml: yaml).server.adminListen == ListenAddress(host: "127.0.0.1", port: 9443))
        let clash = Self.minimal.replacingOccurrences(of: "  tls:", with: "  adminListen: \"127.0.0.1:8443\"\n  tls:")
        #expect(error(clash)?.key == "server.adminListen")
    }

    @Test func listenAddresses() {
        #expect(ListenAddress("[::1]:8443") == ListenAddress(host: "::1", port: 8443))
        #expect(ListenAddress("[::1]:8443")?.isLoopback == true)
        #expect(ListenAddress("localhost:1")?.isLoopback == true)
        #expect(ListenAddress("10.0.0.1:1")?.isLoopback == false)
        #expect(ListenAddress("host:99999") == nil)
        #expect(ListenAddress(":80") == nil)
    }
}

enum TestPaths {
    static let top: String = {
        var components = #filePath.split(separator: "/").map(String.init)
        components.removeLast(3)
        return "/" + components.joined(separator: "/")
    }()
}

extension ConfigurationTests {
    /// `/console/…` is the admin console's: a repository named `console` would lose its index to it.
    @Test func consoleIsAReservedRepositoryName() {
        let yaml = String(Self.minimal.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.contains("name: stable") ? "  - name: console" : $0 }.joined(separator: "\n"))
        #expect(error(yaml)?.description.contains("reserved for fixed routes") == true, "\(String(describing: error(yaml)))")
    }
}
