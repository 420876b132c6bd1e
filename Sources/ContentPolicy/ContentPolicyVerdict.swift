import ChartArchive

/// The outcome of judging one chart against a repository's content policy: what was scanned,
/// what broke a rule, and what an admin's allowance let through. Stored and audited as JSON.
public struct ContentPolicyVerdict: Sendable, Equatable, Codable {
    public enum Rule: String, Sendable, Equatable, Codable {
        /// The kind is in `denyKinds`.
        case denyKind = "deny-kind"
        /// The kind is in `warnKinds`.
        case warnKind = "warn-kind"
        /// A CustomResourceDefinition in `templates/`, where Helm upgrades and deletes it with the release.
        case crdOutsideCRDDirectory = "crd-outside-crds"
        /// The kind is made by a template action and cannot be judged before rendering.
        case dynamicKind = "dynamic-kind"
    }

    public enum Severity: String, Sendable, Equatable, Codable {
        case deny
        case warn
    }

    public struct Violation: Sendable, Equatable, Codable {
        public var file: String
        public var kind: String
        public var rule: Rule
        public var severity: Severity
        public var line: Int
        public var document: Int
        public var apiVersion: String?

        init(_ finding: ManifestKindScanner.Finding, rule: Rule, severity: Severity) {
            file = finding.file
            kind = finding.kind
            self.rule = rule
            self.severity = severity
            line = finding.line
            document = finding.document
            apiVersion = finding.apiVersion
        }
    }

    /// A violation an `allow` entry let through, which entry, and what earned it.
    public struct Exemption: Sendable, Equatable, Codable {
        static let pendingPrefix = "if-signed-by:"

        public var violation: Violation
        /// The entry's `chart` glob.
        public var allowedBy: String
        /// `signer:FINGERPRINT`, `digest:sha256:HEX`, `uploader:PRINCIPAL`, or, before the
        /// provenance is verified, `if-signed-by:FINGERPRINT,…`.
        public var grantedBy: String

        /// Granted only if the provenance turns out signed by one of the entry's signers.
        public var isPending: Bool { grantedBy.hasPrefix(Self.pendingPrefix) }

        init(violation: Violation, allowedBy: String, grantedBy: String) {
            self.violation = violation
            self.allowedBy = allowedBy
            self.grantedBy = grantedBy
        }

        /// Verdicts stored before exemptions were bound have no `grantedBy`: they still read.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            violation = try container.decode(Violation.self, forKey: .violation)
            allowedBy = try container.decode(String.self, forKey: .allowedBy)
            grantedBy = try container.decodeIfPresent(String.self, forKey: .grantedBy) ?? "name-only"
        }
    }

    public var chart: String
    public var version: String
    public var mode: ContentPolicy.Mode
    public var scannedFiles: Int
    public var kindsFound: Int
    public var violations: [Violation] = []
    public var exemptions: [Exemption] = []

    /// No violation that the policy denies (warnings may remain).
    public var passed: Bool { !violations.contains { $0.severity == .deny } }

    /// Whether the upload must be refused: a denying violation under `enforce`.
    public var refusesUpload: Bool { mode == .enforce && !passed }

    /// Some exemption holds only if a signer is verified: decide again after the provenance gate.
    public var awaitsSigner: Bool { exemptions.contains(where: \.isPending) }

    /// One line for the `error` field and the CLI.
    public var summary: String {
        let denied = violations.filter { $0.severity == .deny }
        guard !denied.isEmpty else {
            return violations.isEmpty ? "\(chart) \(version) passes the content policy"
                : "\(chart) \(version) passes the content policy with \(violations.count) warning(s)"
        }
        let listed = denied.prefix(3).map { "\($0.kind.isEmpty ? "(unreadable kind)" : $0.kind) in \($0.file)" }
            .joined(separator: ", ")
        let more = denied.count > 3 ? " and \(denied.count - 3) more" : ""
        return "\(chart) \(version) is refused by the repository's content policy: \(listed)\(more)"
    }
}
