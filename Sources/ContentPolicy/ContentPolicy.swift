import ChartArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a repository lets charts create in a cluster (`contentPolicy` in a repository's
/// configuration). A signature proves who made a chart, not what it does; this judges what it
/// does, from the kinds `ManifestKindScanner` found while the archive was read. Pure: no I/O.
public struct ContentPolicy: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable, Codable {
        /// Denied kinds refuse the upload.
        case enforce
        /// Denied kinds are recorded, the chart is stored.
        case warn
        /// No scan, no verdict.
        case off
    }

    /// What to do with a kind the scanner cannot read (made by a template action).
    public enum DynamicKinds: String, Sendable, Equatable, CaseIterable, Codable {
        case deny
        case warn
        case allow
    }

    /// An exception an admin grants: charts whose name matches `chart` (a shell glob) may create
    /// `kinds` (`*` for every kind, dynamic ones included).
    public struct Allowance: Sendable, Equatable, Codable {
        public var chart: String
        public var kinds: [String]

        public init(chart: String, kinds: [String]) {
            self.chart = chart
            self.kinds = kinds
        }

        func matches(chart name: String) -> Bool {
            fnmatch(chart, name, 0) == 0
        }

        func covers(_ finding: ManifestKindScanner.Finding) -> Bool {
            kinds.contains("*") || (!finding.isDynamic && kinds.contains { ContentPolicy.kind(finding.kind, matches: $0) })
        }
    }

    /// Kinds that reach beyond a namespace, refused unless configured otherwise.
    /// `CustomResourceDefinition` is refused only outside `crds/`, where Helm expects CRDs.
    public static let defaultDenyKinds = [
        "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "CustomResourceDefinition", "PodSecurityPolicy", "Namespace",
    ]

    public var mode: Mode
    public var denyKinds: [String]
    public var warnKinds: [String]
    public var dynamicKinds: DynamicKinds
    public var allow: [Allowance]

    public init(mode: Mode = .enforce, denyKinds: [String] = ContentPolicy.defaultDenyKinds, warnKinds: [String] = [],
                dynamicKinds: DynamicKinds = .deny, allow: [Allowance] = []) {
        self.mode = mode
        self.denyKinds = denyKinds
        self.warnKinds = warnKinds
        self.dynamicKinds = dynamicKinds
        self.allow = allow
    }

    /// The policy a repository gets when its configuration says nothing.
    public static let `default` = ContentPolicy()

    public func evaluate(_ package: ChartPackage) -> ContentPolicyVerdict {
        evaluate(chart: package.metadata.name, version: package.metadata.version, findings: package.manifestKinds,
                 scannedFiles: package.manifestFileCount)
    }

    public func evaluate(chart: String, version: String, findings: [ManifestKindScanner.Finding], scannedFiles: Int)
        -> ContentPolicyVerdict {
        var verdict = ContentPolicyVerdict(chart: chart, version: version, mode: mode, scannedFiles: scannedFiles,
                                           kindsFound: findings.count)
        guard mode != .off else { return verdict }
        let allowances = allow.filter { $0.matches(chart: chart) }
        for finding in findings {
            guard let (rule, severity) = rule(for: finding) else { continue }
            let violation = ContentPolicyVerdict.Violation(finding, rule: rule, severity: severity)
            if let allowance = allowances.first(where: { $0.covers(finding) }) {
                verdict.exemptions.append(.init(violation: violation, allowedBy: allowance.chart))
            } else {
                verdict.violations.append(violation)
            }
        }
        return verdict
    }

    /// The rule a finding breaks, if any, and how hard.
    func rule(for finding: ManifestKindScanner.Finding) -> (ContentPolicyVerdict.Rule, ContentPolicyVerdict.Severity)? {
        if finding.isDynamic {
            switch dynamicKinds {
            case .deny: return (.dynamicKind, .deny)
            case .warn: return (.dynamicKind, .warn)
            case .allow: return nil
            }
        }
        let isCRD = Self.kind(finding.kind, matches: "CustomResourceDefinition")
        if denyKinds.contains(where: { Self.kind(finding.kind, matches: $0) }) {
            if isCRD {
                return finding.isInCRDDirectory ? nil : (.crdOutsideCRDDirectory, .deny)
            }
            return (.denyKind, .deny)
        }
        if warnKinds.contains(where: { Self.kind(finding.kind, matches: $0) }) {
            return (.warnKind, .warn)
        }
        return nil
    }

    /// Kinds compare without case (the text is the author's, not the API server's), and a list
    /// kind (`ClusterRoleList`) counts as the kind it lists.
    static func kind(_ found: String, matches rule: String) -> Bool {
        let found = found.lowercased()
        let rule = rule.lowercased()
        return found == rule || found == rule + "list"
    }
}
