import ChartArchive
import Testing

@Suite("Manifest kind scanner")
struct ManifestKindScannerTests {
    let scanner = ManifestKindScanner()

    func kinds(_ file: String, _ text: String) -> [String] {
        scanner.scan(file: file, text: text).map(\.kind)
    }

    @Test func theClassicExploitShape() {
        let text = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: {{ .Release.Name }}-everything
        rules:
          - apiGroups: ["*"]
            resources: ["*"]
            verbs: ["*"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        roleRef:
          kind: ClusterRole
          name: {{ .Release.Name }}-everything
        subjects:
          - kind: ServiceAccount
            name: default
        """
        let findings = scanner.scan(file: "templates/rbac.yaml", text: text)
        #expect(findings.map(\.kind) == ["ClusterRole", "ClusterRoleBinding"])
        #expect(findings.map(\.document) == [1, 2])
        #expect(findings.map(\.line) == [2, 11])
        #expect(findings.allSatisfy { $0.apiVersion == "rbac.authorization.k8s.io/v1" && !$0.isDynamic })
    }

    @Test func conditionsHideNothing() {
        let text = """
        {{- if .Values.rbac.create }}
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        {{- end }}
        {{- if .Values.webhook }}
        ---
        {{ if true }}kind: "MutatingWebhookConfiguration" # admission
        {{- end }}
        """
        #expect(kinds("templates/rbac.yaml", text) == ["ClusterRole", "MutatingWebhookConfiguration"])
    }

    @Test func listItemsAndKindsOnlyKnownAfterRendering() {
        let text = """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: a
          - kind: Namespace
            apiVersion: v1
        ---
        apiVersion: v1
        kind: {{ .Values.kind | quote }}
        """
        let findings = scanner.scan(file: "templates/list.yaml", text: text)
        #expect(findings.map(\.kind) == ["List", "ClusterRole", "Namespace", "{{ .Values.kind | quote }}"])
        #expect(findings.map(\.isListItem) == [false, true, true, false])
        #expect(findings.last?.isDynamic == true)
    }

    @Test func nestedKindsAreNotTopLevel() {
        let text = """
        apiVersion: apps/v1
        kind: Deployment
        spec:
          template:
            spec:
              containers:
                - name: x
                  env:
                    - name: kind
        status:
          kind: Namespace
        """
        #expect(kinds("templates/deploy.yaml", text) == ["Deployment"])
    }

    @Test func jsonManifests() {
        #expect(kinds("templates/cr.json", #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}"#)
            == ["Namespace"])
    }

    @Test func whichFilesAreManifests() {
        #expect(ManifestKindScanner.isManifestSource("templates/deployment.yaml"))
        #expect(ManifestKindScanner.isManifestSource("templates/_helpers.tpl"))
        #expect(!ManifestKindScanner.isManifestSource("templates/NOTES.txt"))
        #expect(ManifestKindScanner.isManifestSource("crds/widgets.yaml"))
        #expect(!ManifestKindScanner.isManifestSource("crds/README.md"))
        #expect(!ManifestKindScanner.isManifestSource("values.yaml"))
    }
}
