import ContentPolicy
import Foundation
import Storage

/// An audit event in sentences a person can act on: which checks failed and why, which kinds
/// broke the content policy in which file, why a stage went, why a login was refused. Reads the
/// stored detail of every kind of event (`AuditDetails`); anything unknown is shown as is.
enum AuditExplanation {
    /// The union of every detail's fields (`AuditDetails`), all optional.
    struct Detail: Decodable {
        var failedChecks: [String]?
        var signer: String?
        var reasons: [String]?
        var pending: String?
        var contentPolicy: ContentPolicyVerdict?
        var reason: String?
        var stagedBy: String?
        var uploader: String?
        var passed: Bool?
        var previousReason: String?
        var revokedAt: String?
        var subkeys: String?
        var address: String?
        var tls: String?
        var count: String?

        enum CodingKeys: String, CodingKey {
            case failedChecks, signer, reasons, pending, contentPolicy, reason, stagedBy, uploader, passed, previousReason
            case revokedAt, subkeys, address, tls, count
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // An upload lists its failed checks; a quarantine writes them comma-separated.
            if let list = try? container.decodeIfPresent([String].self, forKey: .failedChecks) {
                failedChecks = list
            } else if let text = try? container.decodeIfPresent(String.self, forKey: .failedChecks) {
                failedChecks = text.split(separator: ",").map(String.init)
            }
            signer = try? container.decodeIfPresent(String.self, forKey: .signer)
            reasons = try? container.decodeIfPresent([String].self, forKey: .reasons)
            pending = try? container.decodeIfPresent(String.self, forKey: .pending)
            contentPolicy = try? container.decodeIfPresent(ContentPolicyVerdict.self, forKey: .contentPolicy)
            reason = try? container.decodeIfPresent(String.self, forKey: .reason)
            stagedBy = try? container.decodeIfPresent(String.self, forKey: .stagedBy)
            uploader = try? container.decodeIfPresent(String.self, forKey: .uploader)
            passed = try? container.decodeIfPresent(Bool.self, forKey: .passed)
            previousReason = try? container.decodeIfPresent(String.self, forKey: .previousReason)
            revokedAt = try? container.decodeIfPresent(String.self, forKey: .revokedAt)
            subkeys = try? container.decodeIfPresent(String.self, forKey: .subkeys)
            address = try? container.decodeIfPresent(String.self, forKey: .address)
            tls = try? container.decodeIfPresent(String.self, forKey: .tls)
            count = try? container.decodeIfPresent(String.self, forKey: .count)
        }
    }

    static func sentences(_ event: AuditEvent) -> [String] {
        guard let text = event.detail else { return [] }
        guard let detail = try? JSONDecoder().decode(Detail.self, from: Data(text.utf8)) else { return [text] }
        var lines: [String] = []
        let refused = event.outcome == .rejected || event.outcome == .denied || event.outcome == .rateLimited
        if let checks = detail.failedChecks, !checks.isEmpty {
            let reasons = detail.reasons ?? []
            for (index, check) in checks.enumerated() {
                let why = index < reasons.count ? ": \(reasons[index])" : ""
                lines.append("\(refused ? "Refused: " : "")provenance check \(check) failed\(why)")
            }
        }
        if let verdict = detail.contentPolicy {
            for violation in verdict.violations {
                let kind = violation.kind.isEmpty ? "a resource whose kind cannot be read" : violation.kind
                let effect = violation.severity == .deny ? (refused ? "is denied" : "breaks the policy") : "is warned about"
                lines.append("\(kind) in \(violation.file) line \(violation.line) \(effect) (\(rule(violation.rule)))")
            }
            for exemption in verdict.exemptions {
                lines.append("\(exemption.violation.kind) in \(exemption.violation.file) allowed by '\(exemption.allowedBy)' (\(exemption.grantedBy))")
            }
            if verdict.violations.isEmpty, refused == false, lines.isEmpty {
                lines.append("content policy passed: \(verdict.kindsFound) kinds in \(verdict.scannedFiles) files")
            }
        }
        if let signer = detail.signer { lines.append("signer \(signer)" + (detail.passed == false ? " (verification failed)" : "")) }
        if detail.pending != nil { lines.append("staged until its provenance file arrives") }
        if let stagedBy = detail.stagedBy { lines.append("already staged by \(stagedBy); a stage is not renewed") }
        if let uploader = detail.uploader { lines.append("staged by \(uploader)") }
        if let previous = detail.previousReason { lines.append("was quarantined because: \(previous)") }
        if let revokedAt = detail.revokedAt { lines.append("revoked as of \(revokedAt)") }
        if let subkeys = detail.subkeys, !subkeys.isEmpty { lines.append("revoked subkeys: \(subkeys)") }
        if let reason = detail.reason, detail.stagedBy == nil { lines.append(reason) }
        if let address = detail.address {
            lines.append("from \(address)" + (detail.count.map { " (\($0) times)" } ?? "") + (detail.tls.map { ": \($0)" } ?? ""))
        }
        return lines
    }

    static func rule(_ rule: ContentPolicyVerdict.Rule) -> String {
        switch rule {
        case .denyKind: "the repository denies this kind"
        case .warnKind: "the repository warns about this kind"
        case .crdOutsideCRDDirectory: "a CustomResourceDefinition outside crds/ is upgraded and deleted with the release"
        case .dynamicKind: "the kind is made by a template and cannot be judged before rendering"
        }
    }
}
