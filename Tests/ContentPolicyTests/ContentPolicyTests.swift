import ChartArchive
import ContentPolicy
import Foundation
import Testing

/// The committed fixtures in charts-fixtures/policy (see make_policy.py) and the ordinary charts
/// in charts-fixtures/packaged.
enum PolicyFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/charts-fixtures"
    }()

    /// File name → expected violations `[file, kind, rule]` under the default policy.
    static func expected() throws -> [String: [[String]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/policy/expected.json"))
        return try JSONDecoder().decode([String: [[String]]].self, from: data)
    }

    static func package(_ fileName: String, in directory: String = "policy") throws -> ChartPackage {
        try ChartArchiveReader().read(path: "\(root)/\(directory)/\(fileName)")
    }

    static func ordinaryCharts() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/packaged").filter { $0.hasSuffix(".tgz") }.sorted()
    }
}

@Suite("Content policy")
struct ContentPolicyTests {
    func finding(_ kind: String, file: String = "templates/x.yaml", dynamic: Bool = false, crds: Bool = false)
        -> ManifestKindScanner.Finding {
        ManifestKindScanner.Finding(file: file, document: 1, line: 2, kind: kind, isDynamic: dynamic, isInCRDDirectory: crds)
    }

    func verdict(_ policy: ContentPolicy, chart: String = "demo", _ findings: [ManifestKindScanner.Finding],
                 evidence: ContentPolicy.UploadEvidence = .none) -> ContentPolicyVerdict {
        policy.evaluate(chart: chart, version: "1.0.0", findings: findings, scannedFiles: 1, evidence: evidence)
    }

    @Test func everyFixtureGetsExactlyTheExpectedViolationsUnderTheDefaultPolicy() throws {
        let expected = try PolicyFixtures.expected()
        #expect(expected.count == 9)
        for (fileName, violations) in expected {
            let result = ContentPolicy.default.evaluate(try PolicyFixtures.package(fileName))
            let got = result.violations.map { [$0.file, $0.kind, $0.rule.rawValue] }
                .sorted { $0.joined() < $1.joined() }
            #expect(got == violations.sorted { $0.joined() < $1.joined() }, "\(fileName)")
            #expect(result.refusesUpload == !violations.isEmpty, "\(fileName)")
        }
    }

    @Test func ordinaryChartsPass() throws {
        let charts = try PolicyFixtures.ordinaryCharts()
        #expect(charts.count >= 10)
        for fileName in charts {
            let package = try PolicyFixtures.package(fileName, in: "packaged")
            let result = ContentPolicy.default.evaluate(package)
            #expect(result.violations.isEmpty, "\(fileName): \(result.violations)")
            #expect(result.passed && !result.refusesUpload)
        }
        // cert-operator installs its CRD from crds/ and keeps to a namespaced Role.
        let certOperator = try PolicyFixtures.package("cert-operator-2.3.1.tgz", in: "packaged")
        #expect(certOperator.manifestKinds.map(\.kind).sorted() == ["CustomResourceDefinition", "Deployment", "Role"])
    }

    @Test func anAllowanceLetsOnlyTheNamedChartAndKindsThrough() throws {
        let policy = ContentPolicy(allow: [.init(chart: "metrics-*", kinds: ["ClusterRole", "ClusterRoleBinding"],
                                                 uploaders: ["group:ci"])])
        let ci = ContentPolicy.UploadEvidence(uploaders: ["cert:ci-pusher", "group:ci"])
        let exporter = policy.evaluate(try PolicyFixtures.package("metrics-exporter-5.18.0.tgz"), evidence: ci)
        #expect(exporter.violations.isEmpty && exporter.passed)
        #expect(exporter.exemptions.map(\.violation.kind).sorted() == ["ClusterRole", "ClusterRoleBinding"])
        #expect(exporter.exemptions.allSatisfy { $0.allowedBy == "metrics-*" })

        let grab = policy.evaluate(try PolicyFixtures.package("cluster-admin-grab-1.0.0.tgz"), evidence: ci)
        #expect(grab.refusesUpload)

        // ingress-gateway also needs its webhook; allowing the roles alone is not enough.
        let partial = ContentPolicy(allow: [.init(chart: "ingress-gateway", kinds: ["ClusterRole", "ClusterRoleBinding"],
                                                  uploaders: ["group:ci"])])
        let ingress = partial.evaluate(try PolicyFixtures.package("ingress-gateway-4.10.1.tgz"), evidence: ci)
        #expect(ingress.violations.map(\.kind) == ["ValidatingWebhookConfiguration"])
        #expect(ingress.refusesUpload)
    }

    @Test func anExemptionNeedsWhatItNamesNotJustTheChartName() {
        let signer = "2C22E09778D370B1295FF8DF219FF374DEC0CE9A"
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let policy = ContentPolicy(allow: [
            .init(chart: "kube-state-metrics", kinds: ["ClusterRoleBinding"], signers: [signer.lowercased()]),
            .init(chart: "kube-state-metrics", kinds: ["ClusterRoleBinding"], digests: [digest]),
            .init(chart: "kube-state-metrics", kinds: ["ClusterRoleBinding"], uploaders: ["cert:ci"]),
        ])
        func judge(_ evidence: ContentPolicy.UploadEvidence) -> ContentPolicyVerdict {
            policy.evaluate(chart: "kube-state-metrics", version: "1", findings: [finding("ClusterRoleBinding")],
                            scannedFiles: 1, evidence: evidence)
        }
        // The name alone, another signer, another uploader: refused.
        #expect(judge(.none).refusesUpload)
        #expect(judge(.init(signer: "61DA045FA67896A093020D39009810565C7D3224", uploaders: ["user:bob"])).refusesUpload)
        // Each binding earns it, and says so.
        #expect(judge(.init(signer: signer)).exemptions.map(\.grantedBy) == ["signer:\(signer)"])
        #expect(judge(.init(digest: digest)).exemptions.map(\.grantedBy) == ["digest:\(digest)"])
        #expect(judge(.init(uploaders: ["cert:ci"])).exemptions.map(\.grantedBy) == ["uploader:cert:ci"])
        // Before the provenance is verified, a signer-bound entry holds the violation as pending.
        let pending = judge(.init(signerPending: true))
        #expect(!pending.refusesUpload && pending.awaitsSigner)
        #expect(pending.exemptions.map(\.grantedBy) == ["if-signed-by:\(signer)"])
    }

    @Test func verdictsStoredBeforeBindingStillDecode() throws {
        let old = #"{"chart":"a","version":"1","mode":"enforce","scannedFiles":1,"kindsFound":1,"violations":[],"#
            + #""exemptions":[{"allowedBy":"a","violation":{"file":"t","kind":"ClusterRole","rule":"deny-kind","#
            + #""severity":"deny","line":1,"document":1}}]}"#
        let verdict = try JSONDecoder().decode(ContentPolicyVerdict.self, from: Data(old.utf8))
        #expect(verdict.exemptions.map(\.grantedBy) == ["name-only"])
    }

    @Test func warnModeRecordsButDoesNotRefuse() {
        let result = verdict(ContentPolicy(mode: .warn), [finding("ClusterRole")])
        #expect(!result.passed)
        #expect(!result.refusesUpload)
        #expect(result.violations.first?.severity == .deny)
    }

    @Test func warnKindsWarnAndDoNotRefuse() {
        let result = verdict(ContentPolicy(warnKinds: ["IngressClass"]), [finding("IngressClass"), finding("Deployment")])
        #expect(result.violations.map(\.rule) == [.warnKind])
        #expect(result.passed && !result.refusesUpload)
    }

    @Test func offJudgesNothing() {
        let result = verdict(ContentPolicy(mode: .off), [finding("ClusterRole")])
        #expect(result.violations.isEmpty && !result.refusesUpload)
    }

    @Test func kindsMatchWithoutCaseAndAsLists() {
        let result = verdict(.default, [finding("clusterrole"), finding("ClusterRoleList"), finding("ClusterRoleBindingX")])
        #expect(result.violations.map(\.kind) == ["clusterrole", "ClusterRoleList"])
    }

    @Test func crdsAreDeniedOnlyOutsideTheCRDDirectory() {
        let result = verdict(.default, [finding("CustomResourceDefinition", file: "crds/a.yaml", crds: true),
                                        finding("CustomResourceDefinition"),
                                        finding("ClusterRole", file: "crds/role.yaml", crds: true)])
        #expect(result.violations.map(\.rule) == [.crdOutsideCRDDirectory, .denyKind])
        #expect(result.violations.map(\.file) == ["templates/x.yaml", "crds/role.yaml"])
    }

    @Test func dynamicKindsFollowTheirSetting() {
        let dynamic = finding("{{ .Values.kind }}", dynamic: true)
        #expect(verdict(.default, [dynamic]).refusesUpload)
        #expect(verdict(ContentPolicy(dynamicKinds: .warn), [dynamic]).violations.first?.severity == .warn)
        #expect(verdict(ContentPolicy(dynamicKinds: .allow), [dynamic]).violations.isEmpty)
        // Naming kinds does not cover a kind nobody can read; `*` does.
        let ci = ContentPolicy.UploadEvidence(uploaders: ["cert:ci"])
        #expect(verdict(ContentPolicy(allow: [.init(chart: "demo", kinds: ["ClusterRole"], uploaders: ["cert:ci"])]), [dynamic],
                        evidence: ci).refusesUpload)
        #expect(!verdict(ContentPolicy(allow: [.init(chart: "demo", kinds: ["*"], uploaders: ["cert:ci"])]), [dynamic],
                         evidence: ci).refusesUpload)
    }

    @Test func emptyDenyListDeniesNothing() {
        #expect(verdict(ContentPolicy(denyKinds: []), [finding("ClusterRole")]).violations.isEmpty)
    }

    @Test func theSummaryNamesKindsAndFiles() throws {
        let result = verdict(.default, [finding("ClusterRole", file: "templates/rbac.yaml")])
        #expect(result.summary.contains("ClusterRole in templates/rbac.yaml"))
        let encoded = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        #expect(encoded.contains("\"rule\":\"deny-kind\""))
    }
}
