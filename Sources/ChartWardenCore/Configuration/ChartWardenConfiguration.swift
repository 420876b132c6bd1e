import ChartIndex
import ContentPolicy
import Foundation
import OpenSSLSupport
import Yams

/// The parsed configuration file (README, "Configuration"). Parsing is strict: unknown keys and invalid
/// values are errors naming the key, because a typo in a security setting must not be ignored.
public struct ChartWardenConfiguration: Sendable, Equatable {
    public struct Server: Sendable, Equatable {
        public struct TLS: Sendable, Equatable {
            /// Whether the TLS listener asks for a client certificate (the listener maps it to OpenSSL's modes).
            public enum ClientAuthentication: String, Sendable, Equatable {
                case none
                case optional
                case required
            }

            public var certificate: String
            public var privateKey: String
            public var clientCA: String?
            public var clientAuth: ClientAuthentication
        }

        public var listen: ListenAddress
        /// Absolute base for chart URLs in index.yaml; relative URLs otherwise.
        public var publicURL: String?
        public var tls: TLS
        /// Plaintext HTTP for loopback development only.
        public var plaintextListen: ListenAddress?
        /// A second TLS listener that alone serves `/api/admin`; the main listener then answers 404 there.
        public var adminListen: ListenAddress?
        public var maxUploadBytes: Int
        /// Handshake, header and body stalls longer than this close the connection.
        public var readTimeoutSeconds: Int
        /// Request line plus headers.
        public var maxHeaderBytes: Int
        /// Open connections per TLS listener; more are closed at accept, before any TLS work.
        public var maxConnections: Int
        /// Open connections per client address (IPv6 grouped by /64) per TLS listener.
        public var maxConnectionsPerAddress: Int
        /// Multipart field names, as ChartMuseum's `--chart-post-form-field-name`.
        public var chartFormField: String
        public var provFormField: String
        /// Bytes of OCI blobs uploaded and not yet named by a decided manifest push, per principal
        /// (across repositories) and per repository; an upload past either is `DENIED`.
        public var ociPendingBytesPerPrincipal: Int = 100 << 20
        public var ociPendingBytesPerRepository: Int = 1 << 30
    }

    public struct Auth: Sendable, Equatable {
        /// Which verified certificate field becomes the `cert:NAME` principal.
        public enum CertificatePrincipal: String, Sendable, Equatable, CaseIterable {
            case commonName
            case dnsName
            case uri
            case email
        }

        /// htpasswd file for `user:NAME` principals (bcrypt and SHA-crypt only).
        public var htpasswd: String?
        public var groups: [String: Set<Principal>]
        public var admins: Set<Principal>
        /// Who may read `/metrics`; the admins unless configured.
        public var metrics: Set<Principal>
        public var certificatePrincipal: CertificatePrincipal
        public var failureLimit: AuthFailureLimiter.Configuration
        /// Trusted issuers of OIDC workload identities.
        public var oidc: [OIDCProvider]

        /// The principal kinds the OIDC templates declare (`ci` for `ci:{repository}`).
        public var workloadKinds: Set<String> { Set(oidc.map(\.principal.kind)) }

        public init(htpasswd: String? = nil, groups: [String: Set<Principal>] = [:], admins: Set<Principal> = [],
                    metrics: Set<Principal>? = nil, certificatePrincipal: CertificatePrincipal = .commonName,
                    failureLimit: AuthFailureLimiter.Configuration = .default, oidc: [OIDCProvider] = []) {
            self.htpasswd = htpasswd
            self.groups = groups
            self.admins = admins
            self.metrics = metrics ?? admins
            self.certificatePrincipal = certificatePrincipal
            self.failureLimit = failureLimit
            self.oidc = oidc
        }

        /// The principals in `set`, with groups replaced by their members: what a grant really reaches.
        func expanded(_ set: Set<Principal>) -> Set<Principal> {
            var result: Set<Principal> = []
            for principal in set {
                if case .group(let name) = principal { result.formUnion(groups[name] ?? []) } else { result.insert(principal) }
            }
            return result
        }
    }

    public struct Repository: Sendable, Equatable {
        public enum ProvenanceMode: String, Sendable, Equatable, CaseIterable {
            case enforce
            case warn
            case off
        }

        public var name: String
        public var read: Set<Principal>
        public var write: Set<Principal>
        public var delete: Set<Principal>
        public var allowOverwrite: Bool
        public var provenanceMode: ProvenanceMode
        public var trustedKeys: [String]
        public var stagingTTLSeconds: Int
        /// What charts may create in a cluster; `ContentPolicy.default` when not configured.
        public var contentPolicy: ContentPolicy = .default
        /// The form `index.yaml` is served in: YAML for every Helm, JSON (smaller, faster to parse)
        /// for Helm 3.13 and later only.
        public var indexFormat: RepositoryIndex.Format = .yaml

        /// URL path prefix: "" for the root repository, "/NAME" otherwise.
        public var pathPrefix: String { name.isEmpty ? "" : "/" + name }
    }

    public var server: Server
    public var storage: Storage
    public var auth: Auth
    public var repositories: [Repository]
    public var audit = Audit()
    /// Receivers of CloudEvents (README, "Webhooks").
    public var webhooks: [Webhook] = []

    /// Names that would collide with fixed routes.
    package static let reservedRepositoryNames: Set<String> = ["api", "admin", "charts", "health", "ready", "info", "metrics", "index.yaml",
                                                                 "console", "v2"]

    public static func load(path: String) throws(ConfigurationError) -> ChartWardenConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "", "cannot read configuration file \(path): \(error.localizedDescription)")
        }
        return try parse(yaml: text)
    }

    public static func parse(yaml: String) throws(ConfigurationError) -> ChartWardenConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigurationError(key: "", "the configuration is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            // Yams follows its first line with the offending source line, which may hold a secret
            // (webhooks review F15): the position and the problem say enough.
            let summary = "\(error)".split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "unreadable"
            throw ConfigurationError(key: "", "invalid YAML: \(summary)")
        }
        let top = try YAMLMappingReader(root, path: "", allowedKeys: ["server", "storage", "auth", "repositories", "audit",
                                                                           "webhooks"])
        let auth = try parseAuth(top)
        let server = try parseServer(top)
        let storage = try parseStorage(top)
        let repositories = try parseRepositories(top, auth: auth)
        let configuration = ChartWardenConfiguration(
            server: server,
            storage: storage,
            auth: auth,
            repositories: repositories,
            audit: try parseAudit(top),
            webhooks: try parseWebhooks(top, repositories: repositories))
        return configuration
    }

    private static func parseServer(_ top: YAMLMappingReader) throws(ConfigurationError) -> Server {
        guard let server = try top.mapping("server", allowedKeys: [
            "listen", "publicURL", "tls", "plaintextListen", "adminListen", "maxUploadBytes", "readTimeoutSeconds",
            "maxHeaderBytes", "maxConnections", "maxConnectionsPerAddress", "chartFormField", "provFormField",
            "ociPendingBytesPerPrincipal", "ociPendingBytesPerRepository",
        ]) else {
            throw ConfigurationError(key: "server", "is required")
        }
        func address(_ key: String) throws(ConfigurationError) -> ListenAddress? {
            guard let text = try server.string(key) else { return nil }
            guard let address = ListenAddress(text) else {
                throw ConfigurationError(key: server.key(key), "expected host:port, got \"\(text)\"")
            }
            return address
        }
        let listen = try address("listen") ?? ListenAddress(host: "0.0.0.0", port: 8443)
        let plaintext = try address("plaintextListen")
        if let plaintext, !plaintext.isLoopback {
            throw ConfigurationError(key: server.key("plaintextListen"),
                                     "plaintext HTTP is only allowed on a loopback address, not \(plaintext)")
        }
        let admin = try address("adminListen")
        if let admin, admin.port != 0, admin == listen || admin == plaintext {
            throw ConfigurationError(key: server.key("adminListen"), "must differ from the other listeners")
        }
        var publicURL = try server.string("publicURL")
        if let url = publicURL {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ConfigurationError(key: server.key("publicURL"), "must be an http(s) URL")
            }
            while publicURL?.hasSuffix("/") == true { publicURL?.removeLast() }
        }
        guard let tls = try server.mapping("tls", allowedKeys: ["certificate", "privateKey", "clientCA", "clientAuth"]) else {
            throw ConfigurationError(key: server.key("tls"), "is required: ChartWarden serves HTTPS")
        }
        guard let certificate = try tls.string("certificate") else {
            throw ConfigurationError(key: tls.key("certificate"), "is required")
        }
        guard let privateKey = try tls.string("privateKey") else {
            throw ConfigurationError(key: tls.key("privateKey"), "is required")
        }
        let clientCA = try tls.string("clientCA")
        let clientAuthText = try tls.string("clientAuth") ?? (clientCA == nil ? "none" : "optional")
        guard let clientAuth = Server.TLS.ClientAuthentication(rawValue: clientAuthText) else {
            throw ConfigurationError(key: tls.key("clientAuth"), "must be none, optional or required")
        }
        if clientAuth != .none, clientCA == nil {
            throw ConfigurationError(key: tls.key("clientCA"), "is required when clientAuth is \(clientAuth.rawValue)")
        }
        return Server(
            listen: listen, publicURL: publicURL,
            tls: .init(certificate: certificate, privateKey: privateKey, clientCA: clientCA, clientAuth: clientAuth),
            plaintextListen: plaintext,
            adminListen: admin,
            maxUploadBytes: try server.int("maxUploadBytes", range: 1_024...(4 << 30)) ?? 20 * 1_024 * 1_024,
            readTimeoutSeconds: try server.int("readTimeoutSeconds", range: 1...3_600) ?? 30,
            maxHeaderBytes: try server.int("maxHeaderBytes", range: 1_024...(1 << 20)) ?? 32 * 1_024,
            maxConnections: try server.int("maxConnections", range: 1...1_000_000) ?? 2_048,
            maxConnectionsPerAddress: try server.int("maxConnectionsPerAddress", range: 1...1_000_000) ?? 64,
            chartFormField: try server.string("chartFormField") ?? "chart",
            provFormField: try server.string("provFormField") ?? "prov",
            ociPendingBytesPerPrincipal: try server.int("ociPendingBytesPerPrincipal", range: 1_024...(1 << 40)) ?? 100 << 20,
            ociPendingBytesPerRepository: try server.int("ociPendingBytesPerRepository", range: 1_024...(1 << 40)) ?? 1 << 30)
    }

    private static func principals(_ texts: [String], key: String, groups: [String: Set<Principal>]?,
                                   workloadKinds: Set<String>) throws(ConfigurationError) -> Set<Principal> {
        var result: Set<Principal> = []
        for (index, text) in texts.enumerated() {
            guard let principal = Principal(text, workloadKinds: workloadKinds) else {
                throw ConfigurationError(key: "\(key)[\(index)]",
                                         "\"\(text)\" is not a principal (anonymous, user:NAME, cert:CN, token:NAME, group:NAME)")
            }
            if principal == .user(CredentialStore.reservedUser) {
                throw ConfigurationError(key: "\(key)[\(index)]",
                                         "user:\(CredentialStore.reservedUser) is reserved: Basic user \(CredentialStore.reservedUser) presents an API token")
            }
            if case .group(let name) = principal, let groups, groups[name] == nil {
                throw ConfigurationError(key: "\(key)[\(index)]", "group \"\(name)\" is not defined in auth.groups")
            }
            result.insert(principal)
        }
        return result
    }

    private static func parseAuth(_ top: YAMLMappingReader) throws(ConfigurationError) -> Auth {
        guard let auth = try top.mapping("auth", allowedKeys: [
            "htpasswd", "groups", "admins", "metrics", "certificatePrincipal", "failureLimit", "oidc",
        ]) else {
            return Auth()
        }
        let oidc = try parseOIDC(auth)
        let kinds = Set(oidc.map(\.principal.kind))
        var groups: [String: Set<Principal>] = [:]
        for (name, members) in try auth.stringListMapping("groups") ?? [:] {
            let set = try principals(members, key: auth.key("groups") + "." + name, groups: nil, workloadKinds: kinds)
            if set.contains(where: { if case .group = $0 { true } else { false } }) {
                throw ConfigurationError(key: auth.key("groups") + "." + name, "groups cannot contain groups")
            }
            groups[name] = set
        }
        let admins = try principals(try auth.stringList("admins") ?? [], key: auth.key("admins"), groups: groups,
                                    workloadKinds: kinds)
        let metrics = try auth.stringList("metrics").map { list throws(ConfigurationError) in
            try principals(list, key: auth.key("metrics"), groups: groups, workloadKinds: kinds)
        }
        let sourceText = try auth.string("certificatePrincipal") ?? Auth.CertificatePrincipal.commonName.rawValue
        guard let source = Auth.CertificatePrincipal(rawValue: sourceText) else {
            throw ConfigurationError(key: auth.key("certificatePrincipal"),
                                     "must be one of \(Auth.CertificatePrincipal.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var limits = AuthFailureLimiter.Configuration.default
        if let failureLimit = try auth.mapping("failureLimit",
                                               allowedKeys: ["perAddress", "perUser", "refillSeconds", "maxTracked"]) {
            limits.perAddress = try failureLimit.int("perAddress", range: 1...100_000) ?? limits.perAddress
            limits.perUser = try failureLimit.int("perUser", range: 1...100_000) ?? limits.perUser
            limits.refill = .seconds(try failureLimit.int("refillSeconds", range: 1...86_400) ?? 30)
            limits.maxTracked = try failureLimit.int("maxTracked", range: 100...10_000_000) ?? limits.maxTracked
        }
        let result = Auth(htpasswd: try auth.string("htpasswd"), groups: groups, admins: admins, metrics: metrics,
                          certificatePrincipal: source, failureLimit: limits, oidc: oidc)
        if result.expanded(admins).contains(.anonymous) {
            throw ConfigurationError(key: auth.key("admins"), "anonymous may never administer (directly or through a group)")
        }
        return result
    }

    private static func parseRepositories(_ top: YAMLMappingReader, auth: Auth) throws(ConfigurationError) -> [Repository] {
        guard let nodes = try top.sequence("repositories"), !nodes.isEmpty else {
            throw ConfigurationError(key: "repositories", "at least one repository is required")
        }
        var repositories: [Repository] = []
        for (index, node) in nodes.enumerated() {
            let path = "repositories[\(index)]"
            let reader = try YAMLMappingReader(node, path: path, allowedKeys: [
                "name", "read", "write", "delete", "allowOverwrite", "provenance", "contentPolicy", "indexFormat",
            ])
            guard let name = try reader.string("name") else { throw ConfigurationError(key: reader.key("name"), "is required") }
            if !name.isEmpty {
                let valid = name.utf8.first.map { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } == true
                    && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
                guard valid, name.count <= 63 else {
                    throw ConfigurationError(key: reader.key("name"), "\"\(name)\" must match [a-z0-9][a-z0-9-]* (at most 63 characters)")
                }
                guard !reservedRepositoryNames.contains(name) else {
                    throw ConfigurationError(key: reader.key("name"), "\"\(name)\" is reserved for fixed routes")
                }
            }
            guard !repositories.contains(where: { $0.name == name }) else {
                throw ConfigurationError(key: reader.key("name"), "repository \"\(name)\" is defined twice")
            }
            let kinds = auth.workloadKinds
            let read = try principals(try reader.stringList("read") ?? [], key: reader.key("read"), groups: auth.groups,
                                      workloadKinds: kinds)
            let write = try principals(try reader.stringList("write") ?? [], key: reader.key("write"), groups: auth.groups,
                                       workloadKinds: kinds)
            let delete = try principals(try reader.stringList("delete") ?? [], key: reader.key("delete"), groups: auth.groups,
                                        workloadKinds: kinds)
            // Anonymous writes are impossible by construction, also when hidden in a group.
            for (key, set) in [("write", write), ("delete", delete)] where auth.expanded(set).contains(.anonymous) {
                throw ConfigurationError(key: reader.key(key), "anonymous may never write or delete (directly or through a group)")
            }
            var mode = Repository.ProvenanceMode.off
            var trustedKeys: [String] = []
            var ttl = 3_600
            if let provenance = try reader.mapping("provenance", allowedKeys: ["mode", "trustedKeys", "stagingTTLSeconds"]) {
                let modeText = try provenance.string("mode") ?? "off"
                guard let parsed = Repository.ProvenanceMode(rawValue: modeText) else {
                    throw ConfigurationError(key: provenance.key("mode"), "must be enforce, warn or off")
                }
                mode = parsed
                trustedKeys = try provenance.stringList("trustedKeys") ?? []
                for (index, path) in trustedKeys.enumerated() where !FileManager.default.isReadableFile(atPath: path) {
                    throw ConfigurationError(key: provenance.key("trustedKeys") + "[\(index)]", "cannot read \(path)")
                }
                ttl = try provenance.int("stagingTTLSeconds", range: 1...(7 * 86_400)) ?? 3_600
            }
            repositories.append(Repository(
                name: name, read: read, write: write, delete: delete,
                allowOverwrite: try reader.bool("allowOverwrite") ?? false,
                provenanceMode: mode, trustedKeys: trustedKeys, stagingTTLSeconds: ttl,
                contentPolicy: try parseContentPolicy(reader),
                indexFormat: try parseIndexFormat(reader)))
        }
        return repositories
    }

    private static func parseIndexFormat(_ reader: YAMLMappingReader) throws(ConfigurationError) -> RepositoryIndex.Format {
        guard let text = try reader.string("indexFormat") else { return .yaml }
        guard let format = RepositoryIndex.Format(rawValue: text) else {
            throw ConfigurationError(key: reader.key("indexFormat"), "must be yaml or json, not \"\(text)\"")
        }
        return format
    }
}
