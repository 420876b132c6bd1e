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
    /// `kinds` (`*` for every kind, dynamic ones included) — but only when the upload carries
    /// what earns it, since anyone may name a chart: a verified provenance signer in `signers`
    /// (full fingerprints), a chart archive digest in `digests` (`sha256:HEX`), or an uploader in
    /// `uploaders` (principals such as `cert:ci`, `user:bob`, `group:release`).
    public struct Allowance: Sendable, Equatable, Codable {
        public var chart: String
        public var kinds: [String]
        public var signers: [String]
        public var digests: [String]
        public var uploaders: [String]

        public init(chart: String, kinds: [String], signers: [String] = [], digests: [String] = [],
                    uploaders: [String] = []) {
            self.chart = chart
            self.kinds = kinds
            self.signers = signers.map(ContentPolicy.normalizedFingerprint)
            self.digests = digests.map { $0.lowercased() }
            self.uploaders = uploaders
        }

        /// An entry that names nothing to earn it would let any chart of that name through.
        public var isBound: Bool { !signers.isEmpty || !digests.isEmpty || !uploaders.isEmpty }

        func matches(chart name: String) -> Bool {
            fnmatch(chart, name, 0) == 0
        }

        func covers(_ finding: ManifestKindScanner.Finding) -> Bool {
            kinds.contains("*") || (!finding.isDynamic && kinds.contains { ContentPolicy.kind(finding.kind, matches: $0) })
        }

        /// What about this upload earns the entry: `signer:FP`, `digest:sha256:…`, `uploader:P`;
        /// `if-signed-by:FP,…` while the signer is not verified yet; nil when nothing does.
        func binding(for evidence: UploadEvidence) -> String? {
            if let signer = evidence.signer.map(ContentPolicy.normalizedFingerprint), signers.contains(signer) {
                return "signer:\(signer)"
            }
            if let digest = evidence.digest?.lowercased(), digests.contains(digest) { return "digest:\(digest)" }
            if let uploader = uploaders.first(where: evidence.uploaders.contains) { return "uploader:\(uploader)" }
            if evidence.signerPending, !signers.isEmpty { return "if-signed-by:" + signers.joined(separator: ",") }
            return nil
        }
    }

    /// What an upload proves about itself, against which `allow` entries are bound.
    public struct UploadEvidence: Sendable, Equatable {
        /// `sha256:HEX` of the chart archive.
        public var digest: String?
        /// Fingerprint of the provenance signer, once verified.
        public var signer: String?
        /// The provenance has not been verified yet: signer-bound entries may still apply.
        public var signerPending: Bool
        /// The uploader's principals (`user:bob`, `cert:ci`, `group:release`).
        public var uploaders: Set<String>

        public init(digest: String? = nil, signer: String? = nil, signerPending: Bool = false, uploaders: Set<String> = []) {
            self.digest = digest
            self.signer = signer
            self.signerPending = signerPending
            self.uploaders = uploaders
        }

        public static let none = UploadEvidence()
    }

    static func normalizedFingerprint(_ text: String) -> String {
        text.uppercased().filter { !$0.isWhitespace }
    }

    /// Kinds that reach beyond a namespace, refused unless configured otherwise.
    /// `CustomResourceDefinition` is refused only outside `crds/`, where Helm expects CRDs.
    public static let defaultDenyKinds = [
        "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "CustomResourceDefinition", "PodSecurityPolicy", "Namespace",
        // Admission policies (CEL) and their bindings act on every request of the cluster, as
        // webhooks do; an APIService routes a whole API group to a service of the chart's.
        "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "APIService",
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

    public func evaluate(_ package: ChartPackage, evidence: UploadEvidence = .none) -> ContentPolicyVerdict {
        evaluate(chart: package.metadata.name, version: package.metadata.version, findings: package.manifestKinds,
                 scannedFiles: package.manifestFileCount, evidence: evidence)
    }

    /// Before provenance is verified, pass `signerPending` so signer-bound entries hold their
    /// violations as pending exemptions (`ContentPolicyVerdict.awaitsSigner`); decide again with
    /// the verified signer.
    public func evaluate(chart: String, version: String, findings: [ManifestKindScanner.Finding], scannedFiles: Int,
                         evidence: UploadEvidence = .none) -> ContentPolicyVerdict {
        var verdict = ContentPolicyVerdict(chart: chart, version: version, mode: mode, scannedFiles: scannedFiles,
                                           kindsFound: findings.count)
        guard mode != .off else { return verdict }
        let allowances = allow.filter { $0.matches(chart: chart) }
        for finding in findings {
            guard let (rule, severity) = rule(for: finding) else { continue }
            let violation = ContentPolicyVerdict.Violation(finding, rule: rule, severity: severity)
            let granted = allowances.lazy.filter { $0.covers(finding) }.compactMap { allowance in
                allowance.binding(for: evidence).map { (allowance, $0) }
            }
            // An entry bound by what the upload already proves wins over one still waiting for a signer.
            if let (allowance, binding) = granted.first(where: { !$0.1.hasPrefix(ContentPolicyVerdict.Exemption.pendingPrefix) })
                ?? granted.first {
                verdict.exemptions.append(.init(violation: violation, allowedBy: allowance.chart, grantedBy: binding))
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
