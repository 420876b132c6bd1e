import OpenSSLSupport
import Provenance

/// What the gate is asked to judge: a chart (by identity and digest) and its prov, if any.
public struct ProvenanceSubmission: Sendable {
    public let repository: ChartWardenConfiguration.Repository
    public let chartName: String
    public let chartVersion: String
    public let chartDigest: SHA256Digest
    public let provenance: [UInt8]?
}

public enum ProvenanceDecision: Sendable, Equatable {
    /// Publish now; the verdict (when one was reached) is stored with the chart.
    case publish(ProvenanceVerdict?)
    /// Keep the chart invisible until its prov arrives.
    case stage
    /// Refuse; nothing but the verdict and its audit event is stored.
    case reject(ProvenanceVerdict)
}

/// The single seam where provenance verification plugs into uploads. Every upload path (raw,
/// multipart, prov after chart) asks the gate before anything is stored.
public protocol ProvenanceGate: Sendable {
    /// Throws when no verdict could be reached (the store or the server is unavailable: 503).
    func evaluate(_ submission: ProvenanceSubmission) async throws(ServiceError) -> ProvenanceDecision
}
