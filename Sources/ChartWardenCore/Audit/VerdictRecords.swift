import ContentPolicy
import Foundation
import Provenance
import Storage

extension ProvenanceVerdictRecord {
    /// The stored form of a provenance verdict on `name` `version`.
    package init(_ verdict: ProvenanceVerdict, repository: String, _ name: String, _ version: String) throws(ServiceError) {
        let checks: String
        do {
            checks = try StoredJSON.encode(verdict)
        } catch {
            throw ServiceError(.internalError, "cannot encode the verdict: \(error)", cause: error)
        }
        self.init(repository: repository, name: name, version: version, signerFingerprint: verdict.signerFingerprint,
                  signedAt: verdict.signedAt, passed: verdict.passed, checks: checks, createdAt: Date())
    }
}

extension ContentVerdictRecord {
    /// The stored form of a content-policy verdict; `refused` when the upload left nothing else.
    package init(_ verdict: ContentPolicyVerdict, repository: String, refused: Bool) throws(ServiceError) {
        let text: String
        do {
            text = try StoredJSON.encode(verdict)
        } catch {
            throw ServiceError(.internalError, "cannot encode the verdict: \(error)", cause: error)
        }
        self.init(repository: repository, name: verdict.chart, version: verdict.version, passed: verdict.passed,
                  refused: refused, verdict: text, createdAt: Date())
    }
}
