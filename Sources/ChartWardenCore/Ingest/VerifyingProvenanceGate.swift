import Foundation
import NIOPosix
import Provenance

/// The gate of DESIGN.md §5, per repository mode: `off` publishes as uploaded; `warn` verifies
/// what comes with a prov and publishes anyway, recording the verdict; `enforce` publishes only
/// what passes, and stages a chart that arrives without its prov.
public struct VerifyingProvenanceGate: ProvenanceGate {
    let trust: TrustStore
    let threadPool: NIOThreadPool

    init(trust: TrustStore, threadPool: NIOThreadPool = .singleton) {
        self.trust = trust
        self.threadPool = threadPool
    }

    public func evaluate(_ submission: ProvenanceSubmission) async -> ProvenanceDecision {
        let mode = submission.repository.provenanceMode
        guard mode != .off else { return .publish(nil) }
        guard let provenance = submission.provenance else { return mode == .enforce ? .stage : .publish(nil) }
        let subject = ProvenanceVerifier.Subject(
            chartName: submission.chartName, chartVersion: submission.chartVersion,
            chartDigest: submission.chartDigest, provenance: provenance)
        let trust = self.trust
        let repository = submission.repository.name
        // gpg runs in a child process per verification: never on an event loop.
        let verdict = try? await threadPool.runIfActive { trust.verify(subject, repository: repository) }
        guard let verdict else {
            return .reject(ProvenanceVerdict(checks: [.init(name: .signature, passed: false,
                                                            detail: "the server is shutting down")],
                                             chartDigest: "sha256:" + submission.chartDigest.hex))
        }
        if mode == .warn || verdict.passed { return .publish(verdict) }
        return .reject(verdict)
    }
}
