import Foundation
import Provenance

/// The provenance gate per repository mode: `off` publishes as uploaded; `warn` verifies what
/// comes with a prov and publishes anyway, recording the verdict; `enforce` publishes only what
/// passes, and stages a chart that arrives without its prov (README, "Provenance").
public struct VerifyingProvenanceGate: ProvenanceGate {
    let trust: BlockingWork<TrustStore>

    package init(trust: BlockingWork<TrustStore>) {
        self.trust = trust
    }

    public func evaluate(_ submission: ProvenanceSubmission) async throws(ServiceError) -> ProvenanceDecision {
        let mode = submission.repository.provenanceMode
        guard mode != .off else { return .publish(nil) }
        guard let provenance = submission.provenance else { return mode == .enforce ? .stage : .publish(nil) }
        let subject = ProvenanceVerifier.Subject(
            chartName: submission.chartName, chartVersion: submission.chartVersion,
            chartDigest: submission.chartDigest, provenance: provenance)
        let repository = submission.repository.name
        // gpg runs in a child process per verification: on the pool, never on an event loop. A
        // pool shutting down or a store that cannot be reached is a 503: no verdict was reached.
        let verdict = try await trust.run { (trust, _) throws(ServiceError) in
            try trust.verify(subject, repository: repository)
        }
        if mode == .warn || verdict.passed { return .publish(verdict) }
        return .reject(verdict)
    }
}
