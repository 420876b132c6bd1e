import ChartModel
import ChartWardenCore
import ContentPolicy
import Foundation
import Provenance
import Storage

/// What the console templates show, built from the core's records as plain strings. Values
/// stay as the uploader wrote them: the templates escape them.
enum ConsoleViews {
    struct Option: Sendable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct RepositoriesPage: Sendable {
        let query: String
        let searching: Bool
        let repositories: [Repository]
    }

    struct Repository: Sendable {
        let label: String
        let charts: [Chart]
        let hasCharts: Bool
        /// The next page of this repository's versions, when there is one.
        let more: String?
    }

    struct Chart: Sendable {
        let name: String
        let versions: [Version]
    }

    struct Version: Sendable {
        struct Annotation: Sendable {
            let key: String
            let value: String
        }

        let version: String
        let uploader: String
        let created: String
        let status: String
        let statusClass: String
        let statusReason: String?
        let provenance: Provenance?
        let content: Content?
        let description: String?
        let maintainers: [String]
        let hasMaintainers: Bool
        let annotations: [Annotation]
        let hasAnnotations: Bool
    }

    struct Provenance: Sendable {
        struct Check: Sendable {
            let name: String
            let passed: Bool
            let detail: String
        }

        let passed: Bool
        let signerUserID: String?
        let signerFingerprint: String?
        let signedAt: String?
        let checks: [Check]
        /// "11 checks passed" or "2 of 11 checks failed".
        let checkSummary: String
    }

    struct Content: Sendable {
        struct Violation: Sendable {
            let kind: String
            let file: String
            let line: Int
            let rule: String
            let severity: String
            let severityClass: String
        }

        struct Exemption: Sendable {
            let kind: String
            let file: String
            let allowedBy: String
            let grantedBy: String
        }

        let verdict: String
        let verdictClass: String
        let mode: String
        let kindsFound: Int
        let scannedFiles: Int
        let violations: [Violation]
        let hasViolations: Bool
        let exemptions: [Exemption]
        let hasExemptions: Bool
    }

    struct SignersPage: Sendable {
        let signers: [Signer]
        let repositoryOptions: [Option]
        let trustCSRF: String
    }

    struct Signer: Sendable {
        struct Revocation: Sendable {
            let kind: String
            let soft: Bool
            let at: String
        }

        struct Subkey: Sendable {
            let fingerprint: String
            let algorithm: String
            let canSign: String
            let created: String
            let expires: String
            let revoked: String
        }

        let fingerprint: String
        let userIDs: [String]
        let algorithm: String
        let created: String
        let expires: String?
        let expired: Bool
        let revoked: Revocation?
        let repositories: [String]
        let hasRepositories: Bool
        /// The repositories that trust the key, for the distrust form.
        let repositoryOptions: [Option]
        let chartsSigned: Int
        let subkeys: [Subkey]
        let hasSubkeys: Bool
    }

    struct SignerPage: Sendable {
        struct SignedChart: Sendable {
            let repository: String
            let name: String
            let version: String
            let signedAt: String
            let status: String
            let statusClass: String
        }

        let signer: Signer
        let charts: [SignedChart]
        /// The repositories that do not trust the key yet, for the trust form.
        let trustOptions: [Option]
        let hasTrustOptions: Bool
        let trustKnownCSRF: String
        let distrustCSRF: String
        let revocationCSRF: String
    }

    struct QuarantinePage: Sendable {
        struct Entry: Sendable {
            let repository: String
            let name: String
            let version: String
            let reason: String
            let since: String
            let uploader: String
            let created: String
            let restoreAction: String
            let csrf: String
        }

        let charts: [Entry]
    }

    struct AuditPage: Sendable {
        struct Event: Sendable {
            let id: String
            let at: String
            let repository: String
            let actor: String
            let action: String
            let outcome: String
            let outcomeClass: String
            let subject: String
            let explanation: [String]
        }

        let repositoryOptions: [Option]
        let actionOptions: [Option]
        let outcomeOptions: [Option]
        let since: String
        let events: [Event]
        let next: String?
    }

    /// The first step of an action that may quarantine charts: exactly which, and a form to confirm.
    struct ConfirmPage: Sendable {
        struct Hidden: Sendable {
            let name: String
            let value: String
        }

        let summary: String
        let charts: [AffectedChart]
        let hasCharts: Bool
        let action: String
        let csrf: String
        let hidden: [Hidden]
        let confirmLabel: String
        let cancel: String
    }

    struct AffectedChart: Sendable {
        let repository: String
        let name: String
        let version: String
        let reason: String
    }

    struct ResultPage: Sendable {
        let summary: String
        let charts: [AffectedChart]
        let hasCharts: Bool
        let back: String
    }

    // MARK: building

    static func date(_ date: Date?) -> String {
        guard let date else { return "" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date) + " UTC"
    }

    /// How a repository name is shown and written in console paths (`_` is the root repository).
    static func label(_ repository: String) -> String { repository.isEmpty ? "(root)" : repository }
    static func pathName(_ repository: String) -> String { repository.isEmpty ? "_" : repository }

    /// One path segment, percent-encoded (chart names and versions come from uploaders). `+`
    /// (SemVer build metadata) stays as is: it is legal in a path and the router does not decode.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~+")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The restore form's action for a quarantined chart version.
    static func restoreAction(repository: String, name: String, version: String) -> String {
        "/console/quarantine/" + [pathName(repository), name, version].map(segment).joined(separator: "/") + "/restore"
    }

    /// Uploader and key texts in listings are cut to `limit` characters: a 256 KiB description
    /// must not make every page that lists the chart megabytes long.
    static func clip(_ text: String, _ limit: Int = 300) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count - limit) more characters)"
    }

    /// At most this many maintainers, annotations, violations or user IDs per item.
    static let itemLimit = 20

    static func statusClass(_ status: String) -> String {
        switch status {
        case ChartStatus.active.rawValue: "ok"
        case ChartStatus.quarantined.rawValue: "bad"
        default: "warn"
        }
    }

    static func version(_ standing: ChartStanding) -> Version {
        let record = standing.chart
        let metadata = try? JSONDecoder().decode(ChartMetadata.self, from: Data(record.metadata.utf8))
        let maintainers = (metadata?.maintainers ?? []).prefix(itemLimit).map { maintainer in
            clip([maintainer.name, maintainer.email.map { "<\($0)>" }].compactMap { $0 }.joined(separator: " "), 200)
        }
        let annotations = (metadata?.annotations ?? [:]).sorted { $0.key < $1.key }.prefix(itemLimit)
            .map { Version.Annotation(key: clip($0.key, 100), value: clip($0.value, 200)) }
        return Version(
            version: record.version, uploader: record.uploader, created: date(record.created), status: record.status.rawValue,
            statusClass: statusClass(record.status.rawValue), statusReason: record.statusReason.map { clip($0) },
            provenance: standing.provenance.map(provenance), content: standing.content.flatMap(content),
            description: metadata?.description.map { clip($0) }, maintainers: maintainers, hasMaintainers: !maintainers.isEmpty,
            annotations: annotations, hasAnnotations: !annotations.isEmpty)
    }

    static func provenance(_ record: ProvenanceVerdictRecord) -> Provenance {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let verdict = try? decoder.decode(ProvenanceVerdict.self, from: Data(record.checks.utf8))
        let checks = verdict?.checks ?? []
        let failed = checks.filter { !$0.passed }.count
        return Provenance(
            passed: record.passed, signerUserID: verdict?.signerUserID.map { clip($0, 200) }, signerFingerprint: record.signerFingerprint,
            signedAt: record.signedAt.map { date($0) },
            checks: checks.prefix(itemLimit).map { .init(name: $0.name.rawValue, passed: $0.passed, detail: clip($0.detail)) },
            checkSummary: failed == 0 ? "\(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed")
    }

    static func content(_ record: ContentVerdictRecord) -> Content? {
        guard let verdict = AdminProvenanceHandlers.decodeContentVerdict(record) else { return nil }
        let warnings = !verdict.violations.isEmpty
        let violations = verdict.violations.prefix(itemLimit).map {
            Content.Violation(kind: $0.kind.isEmpty ? "(unreadable kind)" : clip($0.kind, 100), file: clip($0.file, 200), line: $0.line,
                              rule: $0.rule.rawValue, severity: $0.severity.rawValue,
                              severityClass: $0.severity == .deny ? "bad" : "warn")
        }
        let exemptions = verdict.exemptions.prefix(itemLimit).map {
            Content.Exemption(kind: clip($0.violation.kind, 100), file: clip($0.violation.file, 200), allowedBy: clip($0.allowedBy, 200),
                              grantedBy: clip($0.grantedBy, 200))
        }
        return Content(
            verdict: verdict.passed ? (warnings ? "passed with warnings" : "passed") : "denied",
            verdictClass: verdict.passed ? (warnings ? "warn" : "ok") : "bad", mode: verdict.mode.rawValue,
            kindsFound: verdict.kindsFound, scannedFiles: verdict.scannedFiles, violations: violations,
            hasViolations: !violations.isEmpty, exemptions: exemptions, hasExemptions: !exemptions.isEmpty)
    }

    static func signer(_ summary: SignerSummary) -> Signer {
        Signer(
            fingerprint: summary.fingerprint, userIDs: summary.userIDs.prefix(itemLimit).map { clip($0, 200) }, algorithm: summary.algorithm,
            created: date(summary.created), expires: summary.expires.map { date($0) }, expired: summary.expired,
            revoked: summary.revoked.map { .init(kind: $0.kind, soft: $0.kind == "soft", at: date($0.at)) },
            repositories: summary.repositories.map(label), hasRepositories: !summary.repositories.isEmpty,
            repositoryOptions: summary.repositories.map { Option(value: pathName($0), label: label($0), selected: false) },
            chartsSigned: summary.chartsSigned,
            subkeys: summary.subkeys.map {
                .init(fingerprint: $0.fingerprint, algorithm: $0.algorithm, canSign: $0.canSign ? "yes" : "no",
                      created: date($0.created), expires: date($0.expires), revoked: $0.revoked ? "revoked" : "")
            },
            hasSubkeys: !summary.subkeys.isEmpty)
    }

    static func affected(_ record: ChartVersionRecord) -> AffectedChart {
        AffectedChart(repository: label(record.repository), name: record.name, version: record.version,
                      reason: clip(record.statusReason ?? ""))
    }
}
