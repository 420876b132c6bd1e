import ContentPolicy
import Foundation
import Provenance
import Storage

/// Refused uploads: the verdict and its audit event are stored in one transaction, then the 403
/// goes out. The audit details of uploads.
extension Ingest {
    /// Stores the verdict and audit event of a refused upload, then throws the 403.
    func recordRejection(_ verdict: ProvenanceVerdict, repository: String, name: String, version: String,
                         uploader: String) async throws(ServiceError) -> Never {
        let record = try ProvenanceVerdictRecord(verdict, repository: repository, name, version)
        try await work.run { [audit] (stores, _) throws(ServiceError) in
            do {
                try stores.metadata.appendVerdict(record, audit: AuditEvent(
                    at: Date(), repository: repository, actor: uploader, action: .upload, outcome: .rejected,
                    subject: "\(name)-\(version)", detail: AuditDetail(Self.detail(of: verdict))))
            } catch {
                throw audit.failed(error, writing: "upload rejected")
            }
        }
        throw ServiceError(.forbidden, verdict.summary, failedChecks: verdict.failedChecks)
    }

    /// Stores the verdict and audit event of an upload the content policy refuses, then throws
    /// the 403 that names every violation.
    func recordContentRefusal(_ verdict: ContentPolicyVerdict, repository: String, uploader: String)
        async throws(ServiceError) -> Never {
        let record = try ContentVerdictRecord(verdict, repository: repository, refused: true)
        try await work.run { [audit] (stores, _) throws(ServiceError) in
            do {
                try stores.metadata.appendContentVerdict(record, audit: AuditEvent(
                    at: Date(), repository: repository, actor: uploader, action: .upload, outcome: .rejected,
                    subject: "\(verdict.chart)-\(verdict.version)",
                    detail: AuditDetail(AuditDetails.Upload(contentPolicy: verdict))))
            } catch {
                throw audit.failed(error, writing: "upload rejected")
            }
        }
        throw ServiceError(.forbidden, verdict.summary, violations: verdict.violations)
    }

    /// The checks that failed (empty when all passed), the signer, and why.
    static func detail(of verdict: ProvenanceVerdict) -> AuditDetails.Upload {
        AuditDetails.Upload(failedChecks: verdict.failedChecks, signer: verdict.signerFingerprint,
                            reasons: verdict.checks.filter { !$0.passed }.map(\.detail))
    }

    /// Who signed and what failed, whether it waits for its prov, and the content verdict: the
    /// audit detail of an accepted upload (nil when there is nothing to say).
    static func auditDetail(_ decision: ProvenanceDecision, provenance: Bool, content: ContentPolicyVerdict?)
        throws(ServiceError) -> AuditDetail? {
        var detail: AuditDetails.Upload
        switch decision {
        case .publish(let verdict?): detail = Self.detail(of: verdict)
        case .stage: detail = AuditDetails.Upload(pending: "provenance")
        default:
            guard provenance || content != nil else { return nil }
            detail = AuditDetails.Upload(provenance: provenance ? true : nil)
        }
        detail.contentPolicy = content
        do {
            return try AuditDetail(detail)
        } catch {
            throw ServiceError(.internalError, "cannot encode the audit detail: \(error)", cause: error)
        }
    }
}
