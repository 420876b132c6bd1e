import ChartWardenCore
import Credentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import Server
import Storage
import Testing

/// The real router over the real core, with stores in a temporary directory and no listener:
/// users `reader`, `writer` and `admin` (basic auth), API tokens named `ci` (write in `team` and
/// `public`, when their scope allows), and three repositories — `team` (private),
/// `public` (anonymous reads) and `signed` (enforced provenance, so a lone chart is staged).
struct RouterHarness {
    static let top: String = {
        var components = #filePath.split(separator: "/").map(String.init)
        components.removeLast(3)
        return "/" + components.joined(separator: "/")
    }()

    let directory: URL
    let configuration: ChartWardenConfiguration
    let service: ChartService
    let router: Router<ChartWardenRequestContext>

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cw-router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var htpasswd = ""
        for user in ["reader", "writer", "admin"] {
            htpasswd += "\(user):\(try PasswordHash.bcrypt(password: "pw-\(user)", cost: 4).text)\n"
        }
        try htpasswd.write(to: directory.appendingPathComponent("htpasswd"), atomically: true, encoding: .utf8)
        configuration = try ChartWardenConfiguration.parse(yaml: """
        server:
          tls: {certificate: unused.crt, privateKey: unused.key}
        storage:
          dataDir: \(directory.path)/data
        auth:
          htpasswd: \(directory.path)/htpasswd
          admins: ["user:admin"]
        repositories:
          - {name: team, read: ["user:reader"], write: ["user:writer", "token:ci"], delete: ["user:admin"]}
          - {name: public, read: ["anonymous"], write: ["user:writer", "token:ci"], delete: ["user:admin"]}
          - {name: signed, read: ["user:reader"], write: ["user:writer"], provenance: {mode: enforce}}
        """)
        let metrics = ServerMetrics()
        service = try ChartService.open(configuration: configuration, metricsFactory: metrics.factory)
        try await service.warm()
        let authenticator = try Authenticator(
            configuration: .init(htpasswdPath: configuration.auth.htpasswd, limits: configuration.auth.failureLimit),
            tokens: service.tokens, audit: service.audit, metrics: metrics, logger: Logger(label: "test"))
        router = ChartWardenServer.makeRouter(for: .all, environment: ServerEnvironment(
            service: service, authenticator: authenticator, policy: AccessPolicy(auth: configuration.auth),
            metrics: metrics, configuration: configuration,
            uploadReader: UploadReader(maxBytes: 4 << 20, chartField: "chart", provenanceField: "prov"),
            answers: HelmAnswerCache()))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    static func chart(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: top + "/charts-fixtures/packaged/" + name)))
    }

    static func headers(_ user: String?) -> HTTPFields {
        guard let user else { return [:] }
        return [.authorization: "Basic " + Data("\(user):pw-\(user)".utf8).base64EncodedString()]
    }

    /// Withholds a stored version as a trust change would, then reloads what GETs serve.
    func quarantine(_ repository: String, _ name: String, _ version: String) async throws {
        let metadata = try SQLiteMetadataStore(path: directory.path + "/data/chartwarden.sqlite")
        let record = try #require(try metadata.chart(repository: repository, name: name, version: version))
        try metadata.updateStatus(id: try #require(record.id), to: .quarantined, reason: "signer key revoked")
        try await service.warm()
    }
}
