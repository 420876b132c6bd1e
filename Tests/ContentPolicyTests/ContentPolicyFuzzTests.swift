import ChartArchive
import ContentPolicy
import Testing

/// Every known way to slip a ClusterRoleBinding past the scanner (issue #19), each mutated a few
/// thousand ways that keep what Helm renders: the default policy must refuse every one.
@Suite("Content policy fuzz corpus")
struct ContentPolicyFuzzTests {
    typealias Files = [(path: String, text: String)]

    static let body = """
    metadata:
      name: grab
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cluster-admin
    subjects:
      - kind: ServiceAccount
        name: default
        namespace: default
    """

    /// A document whose `kind` line is `kindLine` (which may be a template action).
    static func document(kindLine: String) -> String {
        "apiVersion: rbac.authorization.k8s.io/v1\n\(kindLine)\n\(body)"
    }

    /// The bypasses of the issue, each a chart's templates that render a ClusterRoleBinding.
    static let corpus: [(name: String, files: Files, plainKindLine: Bool)] = [
        ("plain", [("templates/crb.yaml", document(kindLine: "kind: ClusterRoleBinding"))], true),
        ("json-extension", [("templates/x.json", document(kindLine: "kind: ClusterRoleBinding"))], true),
        ("no-extension", [("templates/x", document(kindLine: "kind: ClusterRoleBinding"))], true),
        ("printed-key", [("templates/a.yaml", document(kindLine: #"{{ "kind" }}: ClusterRoleBinding"#))], false),
        ("printed-line", [("templates/a.yaml", document(kindLine: #"{{ print "kind: ClusterRoleBinding" }}"#))], false),
        ("printf-newline", [("templates/a.yaml", "x: {{ printf \"y\\nkind: ClusterRoleBinding\" }}\n" + body)], false),
        ("printf-char", [("templates/a.yaml", #"x: y{{ printf "%c" 10 }}kind: ClusterRoleBinding"# + "\n" + body)], false),
        ("b64dec", [("templates/a.yaml", #"x: {{ b64dec "eQpraW5kOiBDbHVzdGVyUm9sZUJpbmRpbmc=" }}"# + "\n" + body)], false),
        ("toYaml-dict", [("templates/a.yaml", "metadata:\n  {{ toYaml (dict \"a\" \"b\" \"kind\" \"ClusterRoleBinding\") }}\n")], false),
        ("block", [("templates/a.yaml", #"{{ block "b" . }}kind: ClusterRoleBinding{{ end }}"# + "\n" + body)], false),
        ("define-line", [("templates/a.yaml", #"{{ define "d" }}x: 1{{ end }}kind: ClusterRoleBinding"# + "\n" + body)], false),
        ("template-call", [("templates/_h.tpl", #"{{ define "d" }}kind: ClusterRoleBinding{{ end }}"#),
                           ("templates/a.yaml", "apiVersion: v1\n{{ template \"d\" . }}\n" + body)], false),
        ("include-helper", [("templates/_h.tpl", "{{- define \"d\" -}}\nx: 1\nkind: ClusterRoleBinding\n{{- end }}"),
                            ("templates/a.yaml", "metadata:\n  {{ include \"d\" . }}\n")], false),
        ("escaped-key", [("templates/a.yaml", document(kindLine: #""\u006bind": ClusterRoleBinding"#))], false),
        ("escaped-value", [("templates/a.yaml", document(kindLine: #"kind: "ClusterRole\u0042inding""#))], false),
        ("merge-key", [("templates/a.yaml", document(kindLine: "<<: {kind: ClusterRoleBinding}"))], false),
        ("tagged-flow", [("templates/a.yaml", "!!map {kind: ClusterRoleBinding, apiVersion: rbac.authorization.k8s.io/v1}")], false),
        ("anchored-flow", [("templates/a.yaml", "&a {kind: ClusterRoleBinding, apiVersion: rbac.authorization.k8s.io/v1}")], false),
        ("explicit-key", [("templates/a.yaml", document(kindLine: "? kind\n: ClusterRoleBinding"))], false),
        ("bom", [("templates/a.yaml", "\u{FEFF}" + document(kindLine: "kind: ClusterRoleBinding"))], true),
        ("flow-items", [("templates/a.yaml", "apiVersion: v1\nkind: List\nitems: [{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}]")], false),
        ("comment-shift", [("templates/a.yaml", "# header\n" + indented(document(kindLine: "kind: ClusterRoleBinding"), 2))], true),
        ("glued-branches", [("templates/a.yaml", document(kindLine: "kind: Cluster{{ if true }}RoleBinding{{ end }}"))], false),
        ("glued-skip", [("templates/a.yaml", document(kindLine: "kind: Cluster\n{{- if false }}\nx\n{{ end -}}\nRoleBinding"))], false),
        ("trim-join", [("templates/a.yaml", document(kindLine: "kind: Cluster\n{{- /* c */ -}}\nRoleBinding"))], false),
    ]

    static let chartYAML = "apiVersion: v2\nname: fuzz\nversion: 1.0.0\n"

    /// The second review's bypasses (all rendered a ClusterRoleBinding the scanner missed). Their
    /// text depends on the dot being Helm's root, so the mutations that move the dot (`with`,
    /// `range`, a define called with another argument) are not applied to them.
    /// How Helm renders each (pkg/engine/engine.go, Sprig): `printf` is Go's `fmt.Sprintf`, where
    /// `%1c`, `%[1]c` and `%-3c` print the rune 10, a line break; `squote` is
    /// `fmt.Sprintf("'%v'", str)` and escapes nothing; `.Chart`, `.Files` and literals are the
    /// author's text; `indent` is `pad + strings.Replace(v, "\n", "\n"+pad, -1)`, so mid-line its
    /// later lines start at column N; the engine ends each template with
    /// `strings.ReplaceAll(buf.String(), "<no value>", "")`; `releaseutil.SplitManifests`
    /// `strings.TrimSpace`s every document (Unicode spaces included); templates are parsed in
    /// `sortTemplates` order (deepest paths first, then reverse lexical), so NOTES.txt's define
    /// is parsed after `_helpers.tpl`'s and wins.
    static let dotBoundCorpus: [(name: String, files: Files)] = [
        ("printf-width-c", [("templates/a.yaml", #"x: y{{ printf "%1c" 10 }}kind: ClusterRoleBinding"# + "\n" + body)]),
        ("printf-index-c", [("templates/a.yaml", #"x: y{{ printf "%[1]c" 10 }}kind: ClusterRoleBinding"# + "\n" + body)]),
        ("printf-flag-c", [("templates/a.yaml", #"x: y{{ printf "%-1c" 10 }}kind: ClusterRoleBinding"# + "\n" + body)]),
        ("squote", [("templates/a.yaml", #"x: {{ b64dec "eScKa2luZDogQ2x1c3RlclJvbGVCaW5kaW5nCno6ICdx" | squote }}"# + "\n" + body)]),
        ("chart-description", [("Chart.yaml", chartYAML + "description: \"y\\nkind: ClusterRoleBinding\"\n"),
                               ("templates/a.yaml", "x: {{ .Chart.Description }}\n" + body)]),
        ("chart-appversion", [("Chart.yaml", chartYAML + "appVersion: \"y\\nkind: ClusterRoleBinding\"\n"),
                              ("templates/a.yaml", "x: {{ .Chart.AppVersion | lower }}\n" + body)]),
        // Helm renames an aliased subchart (`.Chart.Name` is the alias); the scanner pools every Chart.yaml.
        ("dependency-alias", [("Chart.yaml", chartYAML + "dependencies:\n  - name: sub\n    alias: \"y\\nkind: ClusterRoleBinding\"\n"),
                              ("templates/a.yaml", "x: {{ .Chart.Name }}\n" + body)]),
        ("files-get", [("templates/a.yaml", "x: {{ .Files.Get \"payload.txt\" }}\n" + body)]),
        ("variable-literal", [("templates/a.yaml", "{{ $x := `y\nkind: ClusterRoleBinding` }}x: {{ $x }}\n" + body)]),
        ("with-literal", [("templates/a.yaml", "{{ with `y\nkind: ClusterRoleBinding` }}x: {{ . }}{{ end }}\n" + body)]),
        ("range-literal", [("templates/a.yaml", "{{ range list `y\nkind: ClusterRoleBinding` }}x: {{ . }}{{ end }}\n" + body)]),
        ("define-literal-arg", [("templates/_h.tpl", #"{{ define "d" }}{{ .a }}{{ end }}"#),
                                ("templates/a.yaml", "x: {{ include \"d\" (dict \"a\" `y\nkind: ClusterRoleBinding`) }}\n" + body)]),
        ("block-literal-arg", [("templates/a.yaml", "x: {{ block \"b\" `y\nkind: ClusterRoleBinding` }}{{ . }}{{ end }}\n" + body)]),
        ("indent-mid-line", [("templates/a.yaml", "apiVersion: v1\nmetadata:\n  {{ `name: a\nkind: ClusterRoleBinding` | indent 0 }}\n"
                                + body.replacingOccurrences(of: "metadata:\n  name: grab\n", with: ""))]),
        ("nindent0-include", [("templates/_h.tpl", "{{ define \"d\" }}x: {{ b64dec \"eQpraW5kOiBDbHVzdGVyUm9sZUJpbmRpbmc=\" }}{{ end }}"),
                              ("templates/a.yaml", "apiVersion: v1\n{{- include \"d\" . | nindent 0 }}\n" + body)]),
        ("line-separator", [("templates/a.yaml", "x: y\u{2028}kind: ClusterRoleBinding\n" + body)]),
        ("next-line", [("templates/a.yaml", "x: y\u{85}kind: ClusterRoleBinding\n" + body)]),
        ("notes-override", [("templates/_helpers.tpl", "{{- define \"d\" -}}\nname: a\n{{- end }}"),
                            ("templates/NOTES.txt", "{{- define \"d\" -}}\nname: a\nkind: ClusterRoleBinding\n{{- end }}"),
                            ("templates/a.yaml", "{{ include \"d\" . }}\n" + body.replacingOccurrences(of: "metadata:\n  name: grab\n", with: ""))]),
        ("println", [("templates/a.yaml", "x: {{ println .Values.x }}kind: ClusterRoleBinding\n" + body)]),
        // Raw bytes 0xC2 … 0x85 (not UTF-8 apart) that `replace` joins into a NEL; decoded here as U+FFFD.
        ("split-nel", [("templates/a.yaml", "x: {{ replace \"Z\" \"\" \"y\u{FFFD}Z\u{FFFD}kind: ClusterRoleBinding\" }}\n" + body)]),
        ("no-value", [("templates/a.yaml", document(kindLine: "ki<no value>nd: ClusterRoleBinding"))]),
        ("no-value-split", [("templates/a.yaml", document(kindLine: #"ki<no {{ "value>" }}nd: ClusterRoleBinding"#))]),
        // A trim marker trims ASCII white space only (text/template's `strings.TrimLeft(text, " \t\r\n")`).
        ("nbsp", [("templates/a.yaml", "{{- /* c */ -}}\u{A0}\u{3000}kind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n" + body)]),
        // Third review: the masked text holds each control region once, which is one path, not
        // all of them; a region must read the same whether dropped or repeated.
        ("if-comment", [("templates/a.yaml", document(kindLine: "{{ if false }}# {{ end }}kind: ClusterRoleBinding"))]),
        ("range-zero-comment", [("templates/a.yaml", document(kindLine: "{{ range list }}# {{ end }}kind: ClusterRoleBinding"))]),
        ("with-comment", [("templates/a.yaml", document(kindLine: "{{ with \"\" }}# {{ end }}kind: ClusterRoleBinding"))]),
        ("if-quote", [("templates/a.yaml", "{{- if false }}\nx: \"\n{{- end }}\n" + document(kindLine: "kind: ClusterRoleBinding")
                        + "\n{{- if false }}\n\"\n{{- end }}\n")]),
        ("if-flow", [("templates/a.yaml", "{{- if false }}\nx: [\n{{- end }}\n" + document(kindLine: "kind: ClusterRoleBinding")
                       + "\n{{- if false }}\n]\n{{- end }}\n")]),
        ("if-block-scalar", [("templates/a.yaml", "{{- if false }}\nx: |\n{{- end }}\n" + indented(document(kindLine: "kind: ClusterRoleBinding"), 2)
                               + "\n")]),
        ("if-joins-documents", [("templates/a.yaml", "# c\n{{ if false }}\n---\nb:\n{{ end }}\n" + indented(document(kindLine: "kind: ClusterRoleBinding"), 2))]),
        // One line of author text is a plain-scalar placeholder only when it holds no YAML syntax:
        // a quote it prints opens a scalar that a later one closes, hiding the lines between.
        ("raw-quote", [("templates/a.yaml", quoteSandwich("{{ `\"` }}"))]),
        ("squote-quote", [("templates/a.yaml", quoteSandwich("{{ squote \"'\" }}", quote: "'"))]),
        ("include-trim-quote", [("templates/_h.tpl", "{{- define \"q\" }}\"{{ end }}"),
                                ("templates/a.yaml", quoteSandwich("{{ include \"q\" . | trim }}"))]),
        ("appversion-quote", [("Chart.yaml", chartYAML + "appVersion: '\"'\n"), ("templates/a.yaml", quoteSandwich("{{ .Chart.AppVersion }}"))]),
        ("files-nindent-quote", [("templates/a.yaml", "apiVersion: v1\ndata:\n  {{- .Files.Get \"files/f\" | nindent 2 }}\ny: \"\n"
                                  + document(kindLine: "kind: ClusterRoleBinding") + "\nz: \"\nw:\n  {{- .Files.Get \"files/g\" | nindent 2 }}\n")]),
        ("set-dict", [("templates/a.yaml", "{{- $d := dict \"k\" \"a\" }}{{- $_ := set $d \"k\" \"\(goPayload)\" }}\nkind: ConfigMap\nname: {{ $d.k }}\n")]),
        ("merge-dict", [("templates/a.yaml", "{{- $d := dict \"k\" \"a\" }}{{- $_ := mergeOverwrite $d (dict \"k\" \"\(goPayload)\") }}\nkind: ConfigMap\nname: {{ $d.k }}\n")]),
        ("set-values", [("templates/a.yaml", "{{- $_ := set .Values \"k\" \"\(goPayload)\" }}\nkind: ConfigMap\nname: {{ .Values.k }}\n")]),
        ("paren-assign", [("templates/a.yaml", "{{- $x := \"a\" }}\n{{- if ($x = \"\(goPayload)\") }}{{ end }}\nkind: ConfigMap\nname: {{ $x }}\n")]),
        ("dict-key", [("templates/a.yaml", "{{- $d := dict `\(rawPayload)` \"\" }}\nkind: ConfigMap\nname: {{ keys $d | first }}\n")]),
        ("dict-key-range", [("templates/a.yaml", "kind: ConfigMap\nmetadata:\n{{- range $k, $v := dict `\(rawPayload)` \"\" }}\n  name: {{ $k }}\n{{- end }}\n")]),
        ("trim-indent", [("templates/_h.tpl", "{{- define \"k\" }}  kind: ClusterRoleBinding\n" + body + "\nz: \"{{- end }}"),
                         ("templates/a.yaml", "apiVersion: v1\nx:\n{{- include \"k\" . | trim | nindent 0 }}\n\"\n")]),
        ("nested-list", [("templates/a.yaml", "apiVersion: v1\nkind: List\nitems:\n- kind: List\n  items:\n" + indented(document(kindLine: "kind: ClusterRoleBinding"), 4)
                            .replacingOccurrences(of: "    apiVersion", with: "  - apiVersion"))]),
        ("crd-upper-extension", [("crds/rbac.YAML", document(kindLine: "kind: ClusterRoleBinding"))]),
        ("lookup", [("templates/a.yaml", "kind: ConfigMap\nname: {{ (lookup \"v1\" \"ConfigMap\" \"ns\" \"planted\").data.x }}\n")]),
        ("values-default", [("values.yaml", "nm: |-\n" + indented(rawPayload, 2) + "\n"),
                            ("templates/a.yaml", "kind: ConfigMap\nname: {{ .Values.nm }}\n")]),
        ("values-default-quote", [("values.yaml", "q: '\"'\n"), ("templates/a.yaml", quoteSandwich("{{ .Values.q }}"))]),
        ("range-joins-lines", [("templates/a.yaml", "{{ range list 1 2 }}kind: ClusterRoleBinding\nx: {{ end }}\n" + body)]),
    ]

    /// The fourth review's bypasses, all through `.Values`: a values.yaml the untrusted composer
    /// refuses makes every `.Values` path the author's, and so does a `tpl` of author text (it
    /// may `set`); `import-values` and defaults count at any subchart depth. Kept apart so the
    /// other corpora's seeded mutations stay as they were.
    static let valuesCorpus: [(name: String, files: Files)] = [
        ("values-anchor", [("values.yaml", badDefault + "z: &a 1\n"), ("templates/a.yaml", readsNm)]),
        ("values-tag", [("values.yaml", badDefault + "z: !!str 1\n"), ("templates/a.yaml", readsNm)]),
        ("values-alias", [("values.yaml", badDefault.replacingOccurrences(of: "nm: |-", with: "a: &x |-") + "nm: *x\n"),
                          ("templates/a.yaml", readsNm)]),
        ("values-merge", [("values.yaml", "base: &b\n" + indented(badDefault, 2) + "c:\n  <<: *b\n"),
                          ("templates/a.yaml", readsNm.replacingOccurrences(of: ".Values.nm", with: ".Values.c.nm"))]),
        ("values-duplicate", [("values.yaml", "nm: a\n" + badDefault), ("templates/a.yaml", readsNm)]),
        ("values-binary", [("values.yaml", "nm: !!binary eAotLS0KYXBpVmVyc2lvbjogcmJhYy5hdXRob3JpemF0aW9uLms4cy5pby92MQpraW5kOiBDbHVzdGVyUm9sZUJpbmRpbmcK\n"), ("templates/a.yaml", readsNm)]),
        ("values-binary-block", [("values.yaml", "nm: !!binary |\n  eAotLS0KYXBpVmVyc2lvbjogcmJhYy5hdXRob3JpemF0aW9uLms4cy5pby92MQpraW5kOiBDbHVzdGVyUm9sZUJpbmRpbmcK\n"),
                                 ("templates/a.yaml", readsNm)]),
        ("tpl-set", [("values.yaml", "nm: a\n"),
                     ("templates/a.yaml", "{{- $_ := tpl `{{ $_ := set .Values \"nm\" \"\(goPayload)\" }}` . }}\n" + readsNm)]),
        ("tpl-set-default", [("values.yaml", "t: '{{ $_ := set .Values \"nm\" (b64dec \"\(payloadBase64)\") }}'\n"),
                             ("templates/a.yaml", "{{- $_ := tpl .Values.t . }}\n" + readsNm)]),
        ("tpl-set-recursive", [("templates/_h.tpl", "{{- define \"r\" }}{{ if .go }}{{ tpl .t $ }}{{ else }}{{ include \"r\" (dict \"go\" 1 \"t\" `{{ $_ := set .Values \"nm\" \"\(goPayload)\" }}`) }}{{ end }}{{ end }}"),
                               ("templates/a.yaml", "{{- $_ := include \"r\" (dict) }}\n" + readsNm)]),
        ("tpl-set-file", [("values.yaml", "nm: a\n"),
                          ("templates/a.yaml", "{{- $_ := tpl (.Files.Get \"files/s.tpl\") . }}\n" + readsNm)]),
        ("tpl-set-if", [("templates/a.yaml", "{{- if tpl `{{ $_ := set .Values \"nm\" \"\(goPayload)\" }}` . }}{{ end }}\n" + readsNm)]),
        ("tpl-set-partial", [("templates/_h.tpl", "{{- $_ := tpl `{{ $_ := set .Values \"nm\" \"\(goPayload)\" }}` . }}"),
                             ("templates/a.yaml", readsNm)]),
        ("tpl-set-computed-include", [("templates/_h.tpl", "{{- define \"ev\" }}{{ tpl .t $ }}{{ end }}"),
                                      ("templates/a.yaml", "{{- $_ := include (print \"e\" \"v\") (dict \"t\" `{{ $_ := set .Values \"nm\" \"\(goPayload)\" }}`) }}\n" + readsNm)]),
        ("import-values", [("Chart.yaml", chartYAML + "dependencies:\n  - name: b\n    version: 0.1.0\n    import-values:\n      - data\n"),
                           ("charts/b/Chart.yaml", "apiVersion: v2\nname: b\nversion: 0.1.0\n"),
                           ("charts/b/values.yaml", "exports:\n  data:\n" + indented(badDefault, 4)),
                           ("templates/a.yaml", readsNm)]),
        ("import-values-child-parent", [("Chart.yaml", chartYAML + "dependencies:\n  - name: b\n    Import-Values:\n      - child: d\n        parent: e\n"),
                                        ("charts/b/values.yaml", "d:\n" + indented(badDefault, 2)),
                                        ("templates/a.yaml", readsNm.replacingOccurrences(of: ".Values.nm", with: ".Values.e.nm"))]),
        ("grandchild-default", [("charts/b/charts/c/values.yaml", badDefault),
                                ("templates/a.yaml", readsNm.replacingOccurrences(of: ".Values.nm", with: ".Values.b.c.nm"))]),
        ("grandparent-default", [("values.yaml", "b:\n  c:\n" + indented(badDefault, 4)),
                                 ("charts/b/charts/c/templates/a.yaml", readsNm)]),
    ]

    /// A values.yaml default `nm` holding a ClusterRoleBinding, and a template printing `.Values.nm`.
    static let badDefault = "nm: |-\n" + indented(rawPayload, 2) + "\n"
    static let payloadBase64 = "eAotLS0KYXBpVmVyc2lvbjogcmJhYy5hdXRob3JpemF0aW9uLms4cy5pby92MQpraW5kOiBDbHVzdGVyUm9sZUJpbmRpbmcK"
    static let readsNm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nm }}\n"

    /// `a: Q` / `b: "` / a ClusterRoleBinding / `z: "` / `w: Q`: where Q prints a quote, the
    /// binding is outside any scalar.
    static func quoteSandwich(_ action: String, quote: String = "\"") -> String {
        "a: \(action)\nkind: ConfigMap\nb: \(quote)\n" + document(kindLine: "kind: ClusterRoleBinding") + "\nz: \(quote)\nw: \(action)\n"
    }

    /// A second document holding the binding, as the text of a Go string literal (`\n` escapes)
    /// and as a raw literal (real line breaks).
    static let rawPayload = "x\n---\n" + document(kindLine: "kind: ClusterRoleBinding")
    static let goPayload = rawPayload.replacingOccurrences(of: "\n", with: "\\n")

    static func indented(_ text: String, _ columns: Int) -> String {
        let pad = String(repeating: " ", count: columns)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }
            .joined(separator: "\n")
    }

    /// SplitMix64: the same mutations on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Mutations that keep what Helm renders. `plain` marks texts whose kind line is `kind: ClusterRoleBinding`.
    static func mutate(_ files: Files, plain: Bool, keepsDot: Bool = true, using generator: inout Generator) -> Files {
        var files = files
        let target = files.count - 1
        var text = files[target].text
        var path = files[target].path
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            switch Int.random(in: 0..<15, using: &generator) {
            case 0: text = indented(text, Int.random(in: 1...6, using: &generator))
            case 1:
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                // Not next to a trim marker, which would glue the comment to a line it then hides.
                let safe = (0...lines.count).filter { index in
                    (index == lines.count || !lines[index].contains("{{-")) && (index == 0 || !lines[index - 1].contains("-}}"))
                }
                if let index = safe.randomElement(using: &generator) { lines.insert("# comment", at: index) }
                text = lines.joined(separator: "\n")
            case 2: text = "\u{FEFF}" + text
            case 3 where plain:
                let key = ["kind", "\"kind\"", "'kind'", "\"\\u006bind\"", "\"\\x6bind\"", "Kind"].randomElement(using: &generator)!
                let value = ["ClusterRoleBinding", "\"ClusterRoleBinding\"", "'ClusterRoleBinding'",
                             "\"ClusterRole\\u0042inding\"", "!!str ClusterRoleBinding", "ClusterRoleBinding # c",
                             "\"Cluster\\\n  RoleBinding\"", "{{ \"ClusterRoleBinding\" }}"].randomElement(using: &generator)!
                text = text.replacingOccurrences(of: "kind: ClusterRoleBinding", with: "\(key): \(value)")
            case 4 where plain:
                // Block to flow: one line per key of the root mapping.
                text = "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: grab}}"
            case 5: text = "{{- if .Values.rbac }}\n" + text + "\n{{- end }}"
            case 6, 7, 8 where !keepsDot: break
            case 6: text = "{{ with .Values }}" + text + "{{ end }}"
            case 7: text = "{{- range $i := until 1 }}\n---\n" + text + "\n{{- end }}"
            case 8:
                // Into a define in a partial, used from the template.
                let name = "m\(Int.random(in: 0..<1000, using: &generator))"
                files.insert(("templates/_m\(files.count).tpl", "{{- define \"\(name)\" -}}\n\(text)\n{{- end -}}"), at: 0)
                text = ["{{ include \"\(name)\" . }}", "{{- template \"\(name)\" . }}", "{{ include \"\(name)\" . | nindent 0 }}",
                        "{{ include \"\(name)\" (dict \"x\" 1) }}"].randomElement(using: &generator)!
            case 9:
                let name = Self.baseName(path)
                path = "templates/" + name + [".json", ".txt", ".tpl", "", ".yml", ".j2"].randomElement(using: &generator)!
            case 10: text = "---\n" + text
            case 11: text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: decoy\n---\n" + text
            case 12: text = "{{- /* note */ -}}\n" + text
            case 13: text += "\n..."
            case 14: text = text.replacingOccurrences(of: "\n", with: "\r\n")
            default: break
            }
        }
        files[target] = (path, text)
        return files
    }

    static func baseName(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.split(separator: ".").first.map(String.init) ?? name
    }

    /// A subchart's file relative to its own chart (`charts/b/charts/c/values.yaml` → `values.yaml`).
    static func chartPath(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        while parts.count > 2, parts[0] == "charts" { parts.removeFirst(2) }
        return parts.joined(separator: "/")
    }

    static func refused(_ files: Files) -> Bool {
        let sources = files.map { ManifestKindScanner.Source(file: $0.path, chartPath: chartPath($0.path), text: $0.text) }
        let findings = ManifestKindScanner().scan(sources)
        return ContentPolicy.default.evaluate(chart: "fuzz", version: "1.0.0", findings: findings, scannedFiles: files.count)
            .refusesUpload
    }

    @Test(arguments: corpus.map(\.name))
    func eachBypassIsRefused(_ name: String) {
        let entry = Self.corpus.first { $0.name == name }!
        #expect(Self.refused(entry.files), "\(name) passed the scanner")
    }

    @Test(arguments: dotBoundCorpus.map(\.name))
    func eachDotBoundBypassIsRefused(_ name: String) {
        let entry = Self.dotBoundCorpus.first { $0.name == name }!
        #expect(Self.refused(entry.files), "\(name) passed the scanner")
    }

    @Test(arguments: valuesCorpus.map(\.name))
    func eachValuesBypassIsRefused(_ name: String) {
        let entry = Self.valuesCorpus.first { $0.name == name }!
        #expect(Self.refused(entry.files), "\(name) passed the scanner")
    }

    @Test func mutationsOfEveryValuesBypassAreRefused() {
        var generator = Generator(state: 21)
        var escaped: [String] = []
        for round in 0..<30 {
            for entry in Self.valuesCorpus {
                let files = Self.mutate(entry.files, plain: false, keepsDot: false, using: &generator)
                if !Self.refused(files) {
                    escaped.append("\(entry.name) #\(round): " + files.map { "\($0.path):\n\($0.text)" }.joined(separator: "\n"))
                }
            }
        }
        #expect(escaped.isEmpty, "\(escaped.count) mutations passed, first: \(escaped.first ?? "")")
    }

    @Test func mutationsOfEveryDotBoundBypassAreRefused() {
        var generator = Generator(state: 20)
        var escaped: [String] = []
        for round in 0..<60 {
            for entry in Self.dotBoundCorpus {
                let files = Self.mutate(entry.files, plain: false, keepsDot: false, using: &generator)
                if !Self.refused(files) {
                    escaped.append("\(entry.name) #\(round): " + files.map { "\($0.path):\n\($0.text)" }.joined(separator: "\n"))
                }
            }
        }
        #expect(escaped.isEmpty, "\(escaped.count) mutations passed, first: \(escaped.first ?? "")")
    }

    @Test func mutationsOfEveryBypassAreRefused() {
        var generator = Generator(state: 19)
        var escaped: [String] = []
        for round in 0..<150 {
            for entry in Self.corpus {
                let files = Self.mutate(entry.files, plain: entry.plainKindLine, using: &generator)
                if !Self.refused(files) {
                    escaped.append("\(entry.name) #\(round): " + files.map { "\($0.path):\n\($0.text)" }.joined(separator: "\n"))
                }
            }
        }
        #expect(escaped.isEmpty, "\(escaped.count) mutations passed, first: \(escaped.first ?? "")")
    }

    /// Patterns of `helm create` and Bitnami charts: installer values through dots, variables,
    /// dicts and defines, `.Chart.AppVersion` from a one-line Chart.yaml, checksums of includes.
    @Test func valuePatternsThroughDotsVariablesAndDefinesStayReadable() {
        let helpers = """
        {{- define "common.tplvalues.render" -}}
        {{- $value := typeIs "string" .value | ternary .value (.value | toYaml) }}
        {{- if contains "{{" (toJson .value) }}
        {{- tpl $value .context }}
        {{- else }}
        {{- $value }}
        {{- end }}
        {{- end -}}
        {{- define "x.fullname" -}}
        {{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
        {{- end }}
        """
        let deployment = """
        {{- $fullName := include "x.fullname" . -}}
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ $fullName }}
          annotations:
            checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
            {{- include "common.tplvalues.render" (dict "value" .Values.podAnnotations "context" $) | nindent 4 }}
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
                  env:
                    {{- range $key, $value := .Values.env }}
                    - name: {{ $key }}
                      value: {{ $value | quote }}
                    {{- end }}
                    {{- range .Values.extraEnv }}
                    - name: {{ .name }}
                      value: {{ .value }}
                    {{- end }}
              {{- with .Values.nodeSelector }}
              nodeSelector:
                {{- toYaml . | nindent 8 }}
              {{- end }}
        """
        let sources = [ManifestKindScanner.Source(file: "Chart.yaml", text: Self.chartYAML + "appVersion: \"1.2.3\"\n"),
                       ManifestKindScanner.Source(file: "templates/_helpers.tpl", text: helpers),
                       ManifestKindScanner.Source(file: "templates/deployment.yaml", text: deployment)]
        let findings = ManifestKindScanner().scan(sources)
        #expect(findings.map(\.kind) == ["Deployment"], "\(findings)")
        #expect(findings.allSatisfy { !$0.isDynamic })
    }

    /// Plain values.yaml defaults (helm create's), `.Files.Glob … .AsConfig | indent`, control
    /// regions of whole lines, in and out of a block scalar, stay readable.
    @Test func defaultsFilesAndWholeLineRegionsStayReadable() {
        let values = "replicaCount: 1\nimage:\n  repository: nginx\n  tag: \"\"\nresources: {}\npodAnnotations: {}\nnodeSelector: {}\n"
        let template = """
        {{- if .Values.enabled }}
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Values.image.repository }}
          {{- with .Values.podAnnotations }}
          annotations:
            {{- toYaml . | nindent 4 }}
          {{- end }}
        data:
        {{ (.Files.Glob "files/*").AsConfig | indent 2 }}
          conf: |
            first
            {{- if .Values.x }}
            second: {{ .Values.x }}
            {{- end }}
          mode: {{ if .Values.x }}a{{ else }}b{{ end }}
        {{- end }}
        """
        let sources = [ManifestKindScanner.Source(file: "values.yaml", chartPath: "values.yaml", text: values),
                       ManifestKindScanner.Source(file: "templates/cm.yaml", chartPath: "templates/cm.yaml", text: template)]
        let findings = ManifestKindScanner().scan(sources)
        #expect(findings.map(\.kind) == ["ConfigMap"], "\(findings)")
        #expect(findings.allSatisfy { !$0.isDynamic })
    }

    /// Helm hands a subchart's defaults to the parent as `.Values.SUB.x`, and the parent's `SUB:`
    /// to the subchart as `.Values.x`.
    @Test func subchartDefaultsCountAcrossCharts() {
        let bad = "nm: |-\n" + Self.indented(Self.rawPayload, 2) + "\n"
        func refused(_ values: (file: String, text: String), _ template: (file: String, chartPath: String, text: String)) -> Bool {
            let sources = [ManifestKindScanner.Source(file: values.file, chartPath: "values.yaml", text: values.text),
                           ManifestKindScanner.Source(file: template.file, chartPath: template.chartPath, text: template.text)]
            return ContentPolicy.default.evaluate(chart: "fuzz", version: "1.0.0", findings: ManifestKindScanner().scan(sources),
                                                  scannedFiles: 2).refusesUpload
        }
        #expect(refused(("charts/sub/values.yaml", bad),
                        ("templates/a.yaml", "templates/a.yaml", "kind: ConfigMap\nname: {{ .Values.sub.nm }}\n")))
        #expect(refused(("values.yaml", "sub:\n" + Self.indented(bad, 2)),
                        ("charts/sub/templates/a.yaml", "templates/a.yaml", "kind: ConfigMap\nname: {{ .Values.nm }}\n")))
        #expect(!refused(("values.yaml", "sub:\n  nm: plain\n"),
                         ("charts/sub/templates/a.yaml", "templates/a.yaml", "kind: ConfigMap\nname: {{ .Values.nm }}\n")))
    }

    @Test func ordinaryPatternsStayReadable() {
        let helpers = """
        {{- define "x.labels" -}}
        app: x
        {{ include "x.selector" . }}
        {{- end }}
        {{- define "x.selector" -}}
        tier: {{ .Values.tier | quote }}
        {{- end }}
        {{- define "x.fullname" -}}
        {{- if .Values.fullnameOverride }}
        {{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
        {{- else }}
        {{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
        {{- end }}
        {{- end }}
        """
        let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "x.fullname" . }}
          labels:
            {{- include "x.labels" . | nindent 4 }}
        spec:
          template:
            spec:
              containers:
                - name: app
                  resources:
                    {{- toYaml .Values.resources | nindent 12 }}
                  {{- with .Values.env }}
                  env:
                    {{- toYaml . | nindent 12 }}
                  {{- end }}
        """
        let sources = [ManifestKindScanner.Source(file: "templates/_helpers.tpl", chartPath: "templates/_helpers.tpl", text: helpers),
                       ManifestKindScanner.Source(file: "templates/deployment.yaml", chartPath: "templates/deployment.yaml", text: deployment)]
        let findings = ManifestKindScanner().scan(sources)
        #expect(findings.map(\.kind) == ["Deployment"])
        #expect(findings.allSatisfy { !$0.isDynamic })
    }
}

