import Foundation
import OpenPGP
import Provenance
import Storage
import Synchronization
import Testing
@testable import ChartWardenCore

/// A provenance gate that answers what the test says and remembers what it was asked.
final class FakeProvenanceGate: ProvenanceGate {
    private let answer: Mutex<ProvenanceDecision>
    private let asked = Mutex<[String]>([])

    init(_ decision: ProvenanceDecision) {
        answer = Mutex(decision)
    }

    func answer(_ decision: ProvenanceDecision) { answer.withLock { $0 = decision } }

    var submissions: [String] { asked.withLock { $0 } }

    func evaluate(_ submission: ProvenanceSubmission) async -> ProvenanceDecision {
        asked.withLock { $0.append("\(submission.chartName)-\(submission.chartVersion)") }
        return answer.withLock { $0 }
    }
}

/// The real core over stores in a temporary directory, with a fake provenance gate: repository
/// `team` (provenance enforced, so the gate decides) and `plain` (provenance off).
struct CoreHarness {
    static let top: String = {
        var components = #filePath.split(separator: "/").map(String.init)
        components.removeLast(3)
        return "/" + components.joined(separator: "/")
    }()

    let directory: String
    let metadata: SQLiteMetadataStore
    let service: ChartService
    let gate: FakeProvenanceGate

    init(gate decision: ProvenanceDecision = .publish(nil)) async throws {
        directory = NSTemporaryDirectory() + "cw-core-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        gate = FakeProvenanceGate(decision)
        let made = try await Self.service(in: directory, keyring: "gnupg", gate: gate)
        service = made.0
        metadata = made.1
    }

    /// A warmed service on the store in `directory`, with its own GnuPG home `keyring`: a second
    /// one on the same directory stands in for another replica.
    static func service(in directory: String, keyring: String, gate: FakeProvenanceGate) async throws
        -> (ChartService, SQLiteMetadataStore) {
        let configuration = try ChartWardenConfiguration.parse(yaml: """
        server:
          tls: {certificate: unused.crt, privateKey: unused.key}
        storage:
          dataDir: \(directory)
        repositories:
          - {name: team, read: ["user:reader"], write: ["user:writer"], provenance: {mode: enforce}}
          - {name: plain, read: ["user:reader"], write: ["user:writer"]}
        """)
        let metadata = try SQLiteMetadataStore(path: directory + "/chartwarden.sqlite")
        let service = ChartService(
            configuration: configuration, metadata: metadata, blobs: try FileBlobStore(root: directory + "/blobs"),
            trust: TrustStore(keyring: try OpenPGPKeyring(homeDirectory: directory + "/" + keyring), metadata: metadata),
            provenanceGate: gate)
        try await service.warm()
        return (service, metadata)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    var team: ChartRepository { service.repository(named: "team")! }

    static func chart(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: top + "/charts-fixtures/packaged/" + name)))
    }

    func upload(_ name: String, to repository: String = "team", force: Bool = false) async throws(ServiceError)
        -> ChartService.UploadOutcome {
        let bytes: [UInt8]
        do { bytes = try Self.chart(name) } catch { throw ServiceError(.internalError, "\(error)") }
        return try await service.ingest.upload(chart: bytes, provenance: nil, to: service.repository(named: repository)!,
                                               uploader: "user:writer", force: force)
    }

    func events(action: AuditAction) async throws -> [AuditEvent] {
        try await service.audit.events(AuditQuery(action: action.rawValue))
    }

    /// The audit detail of `event` as a JSON object.
    static func detail(_ event: AuditEvent) throws -> [String: Any] {
        let text = try #require(event.detail)
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
