@testable import ChartArchive
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
        #expect(findings.map(\.kind) == ["List", "ClusterRole", "Namespace", "{{ … }}"])
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

    @Test func evasionsOfALineReaderAreStillFound() {
        // Helm trims each document (`strings.TrimSpace`): a comment keeps the root indented.
        let text = """
        # indented root
          apiVersion: v1
          kind: Namespace
        --- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: x}}
        ---
        "kind" : ClusterRoleBinding
        apiVersion: rbac.authorization.k8s.io/v1
        ---
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: PodSecurityPolicy
        - kind: Namespace
        """
        let findings = scanner.scan(file: "templates/x.yaml", text: text)
        #expect(findings.map(\.kind) == ["Namespace", "ClusterRole", "ClusterRoleBinding", "List", "PodSecurityPolicy", "Namespace"])
        #expect(findings.map(\.document) == [1, 2, 3, 4, 4, 4])
        #expect(findings[1].apiVersion == "rbac.authorization.k8s.io/v1")
        #expect(findings[2].apiVersion == "rbac.authorization.k8s.io/v1")
        #expect(findings.allSatisfy { !$0.isDynamic })
    }

    @Test func valuesThatAreNotPlainNamesAreDynamic() {
        let text = """
        kind: !!str ClusterRole
        ---
        kind: *roleKind
        ---
        kind:
          ClusterRole
        ---
        kind: "Cluster Role"
        ---
        kind: {{ include "kind" . }}
        """
        let findings = scanner.scan(file: "templates/x.yaml", text: text)
        #expect(findings.count == 5)
        // Tags are refused by the composer (dynamic); a value on the next line is the plain name it is.
        #expect(findings.map(\.isDynamic) == [true, true, false, true, true])
        #expect(findings[2].kind == "ClusterRole")
        #expect(findings[2].line == 5)
    }

    @Test func eachDefineBlockIsADocumentOfItsOwn() {
        let text = """
        {{- define "labels" }}
            app: x
            tier: web
        {{- end }}
        {{- define "binding" }}
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        {{- end }}
        {{- define "indented" }}
          kind: MutatingWebhookConfiguration
        {{- end }}
        """
        let findings = scanner.scan(file: "templates/_helpers.tpl", text: text)
        #expect(findings.map(\.kind) == ["ClusterRoleBinding", "MutatingWebhookConfiguration"])
        #expect(findings.map(\.line) == [7, 10])
    }

    @Test func jsonAndFlowDocumentsReportOnlyTopLevelAndItemKinds() {
        let text = #"""
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "roleRef": {"kind": "ClusterRole", "name": "view"},
         "subjects": [{"kind": "ServiceAccount", "name": "default"}]}
        """#
        #expect(kinds("templates/binding.json", text) == ["RoleBinding"])
        let list = #"{"kind": "List", "items": [{"kind": "ClusterRole"}, {"kind": "{{ .Values.k }}"}]}"#
        let findings = scanner.scan(file: "templates/list.json", text: list)
        #expect(findings.map(\.kind) == ["List", "ClusterRole", "{{ … }}"])
        #expect(findings.map(\.isListItem) == [false, true, true])
        #expect(findings.map(\.isDynamic) == [false, false, true])
    }

    @Test func filesInCRDDirectoriesAreMarked() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        #expect(scanner.scan(file: "crds/a.yaml", text: crd).first?.isInCRDDirectory == true)
        #expect(scanner.scan(file: "templates/a.yaml", text: crd).first?.isInCRDDirectory == false)
        let nested = scanner.scan(file: "charts/sub-1.0.0.tgz!/crds/a.yaml", chartPath: "crds/a.yaml", text: crd)
        #expect(nested.first?.isInCRDDirectory == true)
    }

    /// `releaseutil.SplitManifests` splits at `(?:^|\s*\n)---\s*` (ASCII `\s`) and then
    /// `strings.TrimSpace`s each document with Go's `unicode.IsSpace`: NBSP and U+3000 go too.
    @Test func unicodeSpacesHelmTrimsDoNotHideAKind() {
        for text in ["x: 1\n---\u{A0}kind: ClusterRoleBinding\n", "\u{3000}\u{A0}kind: ClusterRoleBinding\n",
                     "\u{2007}kind: ClusterRoleBinding"] {
            #expect(scanner.scan(file: "templates/a.yaml", text: text).map(\.kind).contains("ClusterRoleBinding"), "\(text)")
        }
    }

    /// Duplicate keys from `if`/`else` branches below the root cannot change a kind: accepted.
    @Test func duplicateKeysBelowTheRootAreReadable() {
        let text = """
        apiVersion: apps/v1
        kind: Deployment
        spec:
          template:
            spec:
              containers:
                - name: a
                  {{- if .Values.x }}
                  image: a
                  {{- else }}
                  image: b
                  {{- end }}
        """
        let findings = scanner.scan(file: "templates/a.yaml", text: text)
        #expect(findings.map(\.kind) == ["Deployment"] && findings.allSatisfy { !$0.isDynamic })
        // At the root they still make the document dynamic (which `kind` wins is the parser's choice).
        let root = scanner.scan(file: "templates/a.yaml", text: "kind: Role\nkind: ClusterRoleBinding\n")
        #expect(root.contains { $0.isDynamic })
    }

    /// Helm writes each template's path into a `# Source:` line: a line break there is YAML.
    @Test func entryPathsWithLineBreaksAreRefused() {
        for path in ["c/templates/x\nkind: ClusterRoleBinding\n.yaml", "c/templates/x\u{2028}.yaml", "c/templates/\u{85}x.yaml",
                     "c/templates/x\u{7F}.yaml"] {
            #expect(throws: ChartArchiveError.self) { try ChartArchiveReader.safeComponents(of: path) }
        }
        #expect((try? ChartArchiveReader.safeComponents(of: "c/templates/ünïcode.yaml")) != nil)
    }

    @Test func whichFilesAreManifests() {
        #expect(ManifestKindScanner.isManifestSource("templates/deployment.yaml"))
        #expect(ManifestKindScanner.isManifestSource("templates/_helpers.tpl"))
        // NOTES.txt is read for its defines (Helm parses it with the others), never rendered.
        #expect(ManifestKindScanner.isManifestSource("templates/NOTES.txt"))
        #expect(!ManifestKindScanner.isRendered("templates/NOTES.txt"))
        #expect(ManifestKindScanner.isManifestSource("crds/widgets.yaml"))
        // Helm matches crds/ extensions with Go's EqualFold (`.YAML`, `.jſon`): every file is read.
        #expect(ManifestKindScanner.isManifestSource("crds/README.md"))
        #expect(ManifestKindScanner.isManifestSource("crds/x.YAML"))
        #expect(!ManifestKindScanner.isManifestSource("values.yaml"))
    }

    @Test func anchorsAndAliasesAreRefusedAtTheFirstAnchor() {
        // Alias keys make a composer hash an exponentially large tree: refused before any is composed.
        var text = "l0: &l0 [x, x]\n"
        for level in 1..<40 { text += "l\(level): &l\(level) [*l\(level - 1), *l\(level - 1)]\n" }
        text += "? *l39\n: kind\nkind: Deployment\n"
        let findings = scanner.scan(file: "templates/bomb.yaml", text: text)
        #expect(findings.count == 1 && findings[0].isDynamic && findings[0].line == 1)
        // `&&` and `*` inside values are not anchors.
        let shell = "kind: Job\nspec:\n  args: [\"a && b\"]\n  glob: ls * && echo\n"
        #expect(scanner.scan(file: "templates/job.yaml", text: shell).map(\.kind) == ["Job"])
    }

    @Test func anAliasBombATextScanWouldMissIsDynamic() {
        // Line 3 continues the plain scalar of `note` (`a 'hidden…`): a text scan that takes the
        // `'` at a line start for a quote skips the anchors, aliases and `#`/`&` after it. Used as
        // keys, the aliases would make a composer hash an exponentially large tree.
        var text = "kind: Deployment\nnote: a\n  'hidden from a text scan # &no *no\n"
        text += "l0: &l0 [x, x]\n"
        for level in 1..<40 { text += "l\(level): &l\(level) [*l\(level - 1), *l\(level - 1)]\n" }
        text += "? *l39\n: kind\n"
        let findings = scanner.scan(file: "templates/bomb.yaml", text: text)
        #expect(findings.count == 1)
        #expect(findings.first?.isDynamic == true)
        #expect(findings.first?.line == 4)
    }

    // Long inputs of one shape each: quadratic work in any stage would not finish.
    @Test func costStaysLinearInActionsOnOneLine() {
        let values = "kind: ConfigMap\ndata:\n  x: " + String(repeating: "{{ .Values.x }}", count: 20_000) + "\n"
        #expect(scanner.scan(file: "templates/a.yaml", text: values).map(\.kind) == ["ConfigMap"])
    }

    @Test func costStaysLinearInNestedControlActions() {
        let controls = String(repeating: "{{ if .Values.x }}", count: 10_000) + "\nkind: Secret\n"
            + String(repeating: "{{ end }}", count: 10_000)
        #expect(scanner.scan(file: "templates/b.yaml", text: controls).map(\.kind) == ["Secret"])
    }

    /// A 20,000-deep include chain crashed the process through the expansion's recursion; past
    /// `maxIncludeDepth` the include is unconfined, so the document is dynamic.
    @Test func aDeepIncludeChainIsDynamicNotACrash() {
        let depth = 20_000
        var text = "{{ include \"d\(depth)\" . }}\n"
        for level in stride(from: depth, to: 0, by: -1) {
            text += "{{ define \"d\(level)\" }}{{ include \"d\(level - 1)\" . }}{{ end }}"
        }
        text += "{{ define \"d0\" }}kind: ClusterRoleBinding{{ end }}"
        let findings = scanner.scan(file: "templates/a.yaml", text: text)
        #expect(findings.contains { $0.file == "templates/a.yaml" && $0.document == 1 && $0.isDynamic })
    }

    /// Each indented action looked back over its whole line: 10,000 on one line took minutes.
    @Test func costStaysLinearInIndentedActionsOnOneLine() {
        let line = "kind: ConfigMap\ndata:\n  x: " + String(repeating: "{{ .Values.a | indent 1 }}", count: 20_000) + "\n"
        #expect(scanner.scan(file: "templates/a.yaml", text: line).contains { $0.kind == "ConfigMap" || $0.isDynamic })
    }

    @Test func costStaysLinearInDocuments() {
        let documents = String(repeating: "---\napiVersion: v1\nkind: ConfigMap\n", count: 2_000)
        #expect(scanner.scan(file: "templates/c.yaml", text: documents).count == 2_000)
    }

    @Test func helmRendersEveryTemplateButPartialsAndNotes() {
        #expect(ManifestKindScanner.isRendered("templates/binding.json"))
        #expect(ManifestKindScanner.isRendered("templates/x"))
        #expect(!ManifestKindScanner.isRendered("templates/_helpers.tpl"))
        #expect(!ManifestKindScanner.isRendered("templates/NOTES.txt"))
        // A kind in a partial's top-level text is not rendered; in its defines it is reported.
        let partial = "kind: ClusterRole\n{{ define \"d\" }}kind: Namespace{{ end }}"
        #expect(scanner.scan(file: "templates/_p.tpl", text: partial).map(\.kind) == ["Namespace"])
    }
}

@Suite("Manifest kinds read with the archive")
struct ArchiveManifestKindTests {
    static var policyFixtures: String { Fixtures.root + "/policy" }

    @Test func subchartArchivesAreReadRecursivelyInTheSamePass() throws {
        let package = try ChartArchiveReader().read(path: Self.policyFixtures + "/innocent-parent-1.0.0.tgz")
        let files = package.manifestKinds.map(\.file)
        #expect(files == [
            "templates/service.yaml",
            "charts/log-shipper-0.2.0.tgz!/templates/daemonset.yaml",
            "charts/log-shipper-0.2.0.tgz!/charts/node-access-0.1.0.tgz!/templates/clusterrolebinding.yaml",
        ])
        #expect(package.manifestKinds.map(\.kind) == ["Service", "DaemonSet", "ClusterRoleBinding"])
        #expect(package.manifestFileCount == 3)
        // Only the top-level chart's entries are its files.
        #expect(package.files.map(\.path).contains("charts/log-shipper-0.2.0.tgz"))
    }

    @Test func unpackedSubchartsAreChartsOfTheirOwn() throws {
        let package = try ChartArchiveReader().read(path: Self.policyFixtures + "/innocent-parent-1.0.1.tgz")
        #expect(package.manifestKinds.map(\.file).last == "charts/log-shipper/charts/node-access/templates/clusterrolebinding.yaml")
        #expect(ChartArchiveReader.role(of: ["charts", "sub", "crds", "a.yaml"]) == .manifest(chartPath: "crds/a.yaml"))
        #expect(ChartArchiveReader.role(of: ["charts", "sub", "charts", "deeper-1.0.0.tgz"]) == .subchartArchive)
        #expect(ChartArchiveReader.role(of: ["charts", "sub", "values.yaml"]) == nil)
        #expect(ChartArchiveReader.role(of: ["files", "templates", "x.yaml"]) == nil)
    }

    @Test func crdsInTheCRDDirectoryAreMarked() throws {
        let package = try ChartArchiveReader().read(path: Self.policyFixtures + "/widget-operator-1.0.0.tgz")
        let crd = try #require(package.manifestKinds.first { $0.kind == "CustomResourceDefinition" })
        #expect(crd.file == "crds/widgets.yaml")
        #expect(crd.isInCRDDirectory)
    }

    @Test func nestingDeeperThanTheLimitIsRefused() throws {
        let reader = ChartArchiveReader(limits: ChartArchiveLimits(maxSubchartDepth: 1))
        let error = #expect(throws: ChartArchiveError.self) {
            try reader.read(path: Self.policyFixtures + "/innocent-parent-1.0.0.tgz")
        }
        #expect(error?.code == .subchartTooDeep)
        #expect(error?.message.contains("charts/log-shipper-0.2.0.tgz!/charts/node-access-0.1.0.tgz") == true)
    }

    @Test func subchartArchivesShareTheParentsByteBudget() throws {
        // The parent alone is far below 2 KiB of content; with its subcharts it is not.
        let reader = ChartArchiveReader(limits: ChartArchiveLimits(maxTotalBytes: 1_600))
        let error = #expect(throws: ChartArchiveError.self) {
            try reader.read(path: Self.policyFixtures + "/innocent-parent-1.0.0.tgz")
        }
        #expect(error?.code == .totalTooLarge)
    }
}
