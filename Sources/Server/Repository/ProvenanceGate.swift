import ChartArchive

/// What the gate is asked to judge: the uploaded chart, its prov when one came with it.
public struct ProvenanceSubmission: Sendable {
    public let repository: ChartWardenConfiguration.Repository
    public let package: ChartPackage
    public let chartBytes: [UInt8]
    public let provenance: [UInt8]?
    public let uploader: String
}

public enum ProvenanceDecision: Sendable, Equatable {
    /// Publish now (store the prov beside the chart when there is one).
    case publish
    /// Keep the chart invisible until its prov arrives.
    case stage
    /// Refuse; nothing is stored. `failedChecks` names each check that failed.
    case reject(message: String, failedChecks: [String])
}

/// The single seam where provenance verification plugs into uploads. Every upload path (raw,
/// multipart, prov after chart) asks the gate before anything is stored.
public protocol ProvenanceGate: Sendable {
    func evaluate(_ submission: ProvenanceSubmission) async -> ProvenanceDecision
}

/// `provenance.mode: off`: provs are stored and served as uploaded, without verification.
public struct UncheckedProvenanceGate: ProvenanceGate {
    public init() {}

    public func evaluate(_ submission: ProvenanceSubmission) async -> ProvenanceDecision {
        .publish
    }
}
