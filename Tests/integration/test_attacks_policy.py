"""Issue #19, content policy: every scanner bypass of the hostile review, pushed as a real chart over
HTTPS, is refused; an `allow` exemption goes only to the signer, digest or uploader it names, never
to whoever calls a chart by the allowed name. Charts are built and signed at run time."""
import hashlib
import io
import os
import subprocess
import tarfile

import pytest
import yaml

from conftest import PGP_KEYS, TOP, base_config, pgp_file

BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
{kind_line}
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
PLAIN = BINDING.format(kind_line="kind: ClusterRoleBinding")
BODY = PLAIN.split("\n", 2)[2]

# Each renders a ClusterRoleBinding in Helm; the landed scanner reported none of them.
BYPASSES = {
    "json-extension": {"templates/binding.json": PLAIN},
    "printed-key": {"templates/a.yaml": BINDING.format(kind_line='{{ "kind" }}: ClusterRoleBinding')},
    "printed-line": {"templates/a.yaml": BINDING.format(kind_line='{{ print "kind: ClusterRoleBinding" }}')},
    "block": {"templates/a.yaml": '{{ block "b" . }}kind: ClusterRoleBinding{{ end }}\n' + BODY},
    "define-first": {"templates/a.yaml": '{{ define "d" }}x: 1{{ end }}kind: ClusterRoleBinding\n' + BODY},
    "escaped-key": {"templates/a.yaml": BINDING.format(kind_line='"\\u006bind": ClusterRoleBinding')},
    "escaped-value": {"templates/a.yaml": BINDING.format(kind_line='kind: "ClusterRole\\u0042inding"')},
    "merge-key": {"templates/a.yaml": BINDING.format(kind_line="<<: {kind: ClusterRoleBinding}")},
    "tagged-flow": {"templates/a.yaml": "!!map {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}\n"},
    "anchored-flow": {"templates/a.yaml": "&a {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}\n"},
    "explicit-key": {"templates/a.yaml": BINDING.format(kind_line="? kind\n: ClusterRoleBinding")},
    "bom": {"templates/a.yaml": "\ufeff" + PLAIN},
    "flow-items": {"templates/a.yaml": "apiVersion: v1\nkind: List\n"
                   "items: [{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}]\n"},
    "comment-shift": {"templates/a.yaml": "# shifts the root\n" + "".join("  " + line + "\n" for line in PLAIN.splitlines())},
    "include-at-line-start": {"templates/_h.tpl": '{{- define "d" -}}\nkind: ClusterRoleBinding\n{{- end }}',
                              "templates/a.yaml": 'apiVersion: rbac.authorization.k8s.io/v1\n{{ include "d" . }}\n' + BODY},
    "printf-newline": {"templates/a.yaml": 'x: {{ printf "y\\nkind: ClusterRoleBinding" }}\n' + BODY},
}

# The second review (issue #19, scanner part): each renders a ClusterRoleBinding in Helm and the
# landed scanner reported none. How Helm renders them: `printf` is Go's fmt.Sprintf (`%1c` of 10
# prints a line break); Sprig's `squote` is fmt.Sprintf("'%v'", s), escaping nothing; `.Chart.*`
# and literals bound to variables or define arguments are the author's text; `indent` pads every
# line after a break from column 0; pkg/engine/engine.go deletes "<no value>" from each rendered
# template; releaseutil.SplitManifests strings.TrimSpace()s every document (NBSP included);
# templates are parsed deepest path first, then in reverse lexical order, so NOTES.txt's define
# (parsed after _helpers.tpl's) is the one `include` uses.
SQUOTE_PAYLOAD = "eScKa2luZDogQ2x1c3RlclJvbGVCaW5kaW5nCno6ICdx"  # base64 of "y'\nkind: ClusterRoleBinding\nz: 'q"
BODY_WITHOUT_METADATA = BODY.replace("metadata:\n  name: grab\n", "")
SECOND_BYPASSES = {
    "printf-width-verb": {"templates/a.yaml": 'x: y{{ printf "%1c" 10 }}kind: ClusterRoleBinding\n' + BODY},
    "squote": {"templates/a.yaml": 'x: {{ b64dec "' + SQUOTE_PAYLOAD + '" | squote }}\n' + BODY},
    "chart-description": {"Chart.yaml": 'apiVersion: v2\nname: {name}\nversion: 1.0.0\n'
                                        'description: "y\\nkind: ClusterRoleBinding"\n',
                          "templates/a.yaml": "x: {{ .Chart.Description }}\n" + BODY},
    "variable-literal": {"templates/a.yaml": "{{ $x := `y\nkind: ClusterRoleBinding` }}x: {{ $x }}\n" + BODY},
    "define-literal-arg": {"templates/_h.tpl": '{{ define "d" }}{{ .a }}{{ end }}',
                           "templates/a.yaml": 'x: {{ include "d" (dict "a" `y\nkind: ClusterRoleBinding`) }}\n' + BODY},
    "indent-mid-line": {"templates/a.yaml": "apiVersion: v1\nmetadata:\n  {{ `name: a\nkind: ClusterRoleBinding` | indent 0 }}\n"
                                            + BODY_WITHOUT_METADATA},
    "notes-override": {"templates/_helpers.tpl": '{{- define "d" -}}\nname: a\n{{- end }}',
                       "templates/NOTES.txt": '{{- define "d" -}}\nname: a\nkind: ClusterRoleBinding\n{{- end }}',
                       "templates/a.yaml": '{{ include "d" . }}\n' + BODY_WITHOUT_METADATA},
    "no-value": {"templates/a.yaml": BINDING.format(kind_line="ki<no value>nd: ClusterRoleBinding")},
    "nbsp": {"templates/a.yaml": "\u00a0kind: ClusterRoleBinding\n" + PLAIN.replace("kind: ClusterRoleBinding\n", "")},
}

# The third review (each rendered by Helm v4 into a ClusterRoleBinding the scanner accepted):
# control regions hold each body once in the masked text, which is one path, not all of them;
# one line of author text may hold YAML syntax (a quote opening a scalar a later one closes);
# dicts and .Values mutated by set/merge, assignments in parentheses, dict keys, trim before
# nindent, nested List items, crds/ files with an upper-case extension, values.yaml defaults,
# lookup output.
GO_PAYLOAD = ("x\\n---\\n" + PLAIN).replace("\n", "\\n")
RAW_PAYLOAD = "x\n---\n" + PLAIN
QUOTE_SANDWICH = "a: {q}\nkind: ConfigMap\nb: \"\n" + PLAIN + "z: \"\nw: {q}\n"
THIRD_BYPASSES = {
    "if-comment": {"templates/a.yaml": PLAIN.replace("kind:", "{{ if false }}# {{ end }}kind:", 1)},
    "if-quote": {"templates/a.yaml": '{{- if false }}\nx: "\n{{- end }}\n' + PLAIN + '{{- if false }}\n"\n{{- end }}\n'},
    "raw-quote": {"templates/a.yaml": QUOTE_SANDWICH.replace("{q}", '{{ `"` }}')},
    "include-trim": {"templates/_h.tpl": '{{- define "q" }}"{{ end }}',
                     "templates/a.yaml": QUOTE_SANDWICH.replace("{q}", '{{ include "q" . | trim }}')},
    "app-version": {"Chart.yaml": "apiVersion: v2\nname: {name}\nversion: 1.0.0\nappVersion: '\"'\n",
                    "templates/a.yaml": QUOTE_SANDWICH.replace("{q}", "{{ .Chart.AppVersion }}")},
    "files-nindent": {"files/f": 'a: "', "files/g": 'b"',
                      "templates/a.yaml": 'apiVersion: v1\ndata:\n  {{- .Files.Get "files/f" | nindent 2 }}\ny: "\n' + PLAIN
                                          + 'z: "\nw:\n  {{- .Files.Get "files/g" | nindent 2 }}\n'},
    "set-values": {"templates/a.yaml": '{{- $_ := set .Values "k" "' + GO_PAYLOAD + '" }}\nkind: ConfigMap\nname: {{ .Values.k }}\n'},
    "paren-assign": {"templates/a.yaml": '{{- $x := "a" }}\n{{- if ($x = "' + GO_PAYLOAD + '") }}{{ end }}\nkind: ConfigMap\nname: {{ $x }}\n'},
    "dict-key": {"templates/a.yaml": "{{- $d := dict `" + RAW_PAYLOAD + "` \"\" }}\nkind: ConfigMap\nname: {{ keys $d | first }}\n"},
    "trim-indent": {"templates/_h.tpl": '{{- define "k" }}  kind: ClusterRoleBinding\n' + BODY + 'z: "{{- end }}',
                    "templates/a.yaml": 'apiVersion: v1\nx:\n{{- include "k" . | trim | nindent 0 }}\n"\n'},
    "nested-list": {"templates/a.yaml": "apiVersion: v1\nkind: List\nitems:\n- kind: List\n  items:\n  - "
                                        + PLAIN.replace("\n", "\n    ").rstrip() + "\n"},
    "crd-upper-extension": {"crds/rbac.YAML": PLAIN},
    "values-default": {"values.yaml": "nm: |-\n" + "".join("  " + line + "\n" for line in RAW_PAYLOAD.splitlines()),
                       "templates/a.yaml": "kind: ConfigMap\nname: {{ .Values.nm }}\n"},
}

ED25519 = PGP_KEYS["ed25519-signer"]["fingerprint"]


def make_chart(directory, name, version, files):
    """A chart archive as `helm package` lays it out: NAME/Chart.yaml and the given files."""
    path = os.path.join(directory, f"{name}-{version}.tgz")
    entries = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n", **files}
    with tarfile.open(path, "w:gz") as archive:
        for inner, text in entries.items():
            data = text if isinstance(text, bytes) else text.encode()
            info = tarfile.TarInfo(f"{name}/{inner}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def attack_config(config):
    def repository(name, **extra):
        return {"name": name, "read": ["anonymous"], "write": ["group:ci", "cert:admin"], "delete": ["group:admins"],
                **extra}
    allow = {"chart": "kube-state-metrics", "kinds": ["ClusterRole", "ClusterRoleBinding"]}
    config["repositories"] = [
        repository("team"),
        repository("signed", provenance={"mode": "enforce",
                                         "trustedKeys": [pgp_file("ed25519-signer.pub.asc"), pgp_file("rsa-signer.pub.asc")]},
                   contentPolicy={"allow": [{**allow, "signers": [ED25519]}]}),
        repository("writers", contentPolicy={"allow": [{**allow, "uploaders": ["cert:admin"]}]}),
    ]


@pytest.fixture
def attack_server(server_factory):
    return server_factory(attack_config)


@pytest.fixture
def default_policy_server(server_factory):
    """Only a repository with the default policy (a configuration the landed code also reads)."""
    def mutate(config):
        config["repositories"] = [{"name": "team", "read": ["anonymous"], "write": ["group:ci"]}]
    return server_factory(mutate)


def push(server, repo, chart, prov=None, cert="ci-pusher"):
    if prov is None:
        return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + chart, cert=cert)
    prov_path = chart + ".prov"
    with open(prov_path, "wb") as handle:
        handle.write(prov)
    return server.curl(f"/api/{repo}/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov_path}", cert=cert)


def refused_for_the_binding(response):
    if response.status != 403:
        return False
    violations = response.json().get("violations", [])
    return any(v["rule"] == "dynamic-kind" or (v["kind"] == "ClusterRoleBinding" and v["rule"] == "deny-kind")
               for v in violations)


def assert_corpus_refused(server, tmp_path, corpus, prefix):
    """Pushes every chart of `corpus` (named PREFIX0, PREFIX1...; `{name}` in Chart.yaml becomes
    that name): each is refused for the binding or as dynamic, nothing is published, and the
    server still serves."""
    let_through = []
    for index, (name, files) in enumerate(sorted(corpus.items())):
        chart_name = f"{prefix}{index}"
        files = {path: text.replace("{name}", chart_name) if path == "Chart.yaml" else text for path, text in files.items()}
        chart = make_chart(str(tmp_path), chart_name, "1.0.0", files)
        response = push(server, "team", chart)
        if not refused_for_the_binding(response):
            let_through.append((name, response.status, response.body[:300]))
    assert let_through == []
    index = yaml.safe_load(server.curl("/team/index.yaml").body)
    assert not index.get("entries")


def test_every_scanner_bypass_is_refused_with_the_binding_or_a_dynamic_kind(default_policy_server, tmp_path):
    assert_corpus_refused(default_policy_server, tmp_path, BYPASSES, "bypass")


def test_second_review_scanner_bypasses_are_refused(default_policy_server, tmp_path):
    assert_corpus_refused(default_policy_server, tmp_path, SECOND_BYPASSES, "second")


def test_third_review_scanner_bypasses_are_refused(default_policy_server, tmp_path):
    assert_corpus_refused(default_policy_server, tmp_path, THIRD_BYPASSES, "third")


def test_a_template_that_is_not_utf8_is_refused(default_policy_server, tmp_path):
    """Go keeps the bytes: `\\xC2` and `\\x85` around an action that prints nothing join into a NEL."""
    template = b"apiVersion: v1\nkind: ConfigMap\n# c\xc2{{/**/}}\x85kind: ClusterRoleBinding\n"
    chart = make_chart(str(tmp_path), "nelsplice", "1.0.0", {"templates/a.yaml": template})
    response = push(default_policy_server, "team", chart)
    assert response.status == 400, response.body[:300]
    assert "not UTF-8" in response.json()["error"]


def test_a_dependency_not_vendored_is_refused(default_policy_server, tmp_path):
    """`helm install --dependency-update` would fetch it at install time, unscanned."""
    chart = make_chart(str(tmp_path), "fetcher", "1.0.0", {
        "Chart.yaml": "apiVersion: v2\nname: fetcher\nversion: 1.0.0\n"
                      "dependencies:\n  - name: grab\n    version: 1.0.0\n    repository: https://example.invalid\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    response = push(default_policy_server, "team", chart)
    assert response.status == 400, response.body[:300]
    assert "not vendored" in response.json()["error"]


def test_admission_policies_and_api_services_are_denied_by_default(default_policy_server, tmp_path):
    for index, kind in enumerate(["ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "APIService"]):
        chart = make_chart(str(tmp_path), f"cluster{index}", "1.0.0",
                           {"templates/a.yaml": f"apiVersion: x/v1\nkind: {kind}\nmetadata:\n  name: a\n"})
        response = push(default_policy_server, "team", chart)
        assert response.status == 403, (kind, response.body[:300])
        assert [v["kind"] for v in response.json()["violations"]] == [kind]


def test_a_one_line_chart_description_is_readable(default_policy_server, tmp_path):
    """Helm's Metadata.Validate turns every space (line breaks included) into ' ': one line."""
    chart = make_chart(str(tmp_path), "described", "1.0.0", {
        "Chart.yaml": "apiVersion: v2\nname: described\nversion: 1.0.0\ndescription: \"two\\nlines\"\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n"
                             "    description: {{ .Chart.Description }}\n"})
    response = push(default_policy_server, "team", chart)
    assert response.status == 201, response.body[:300]


def test_a_template_path_with_a_line_break_is_refused(default_policy_server, tmp_path):
    """Helm writes `# Source: <path>` before each document: a path holding a line break adds YAML."""
    chart = make_chart(str(tmp_path), "pathy", "1.0.0",
                       {"templates/x\nkind: ClusterRoleBinding\n.yaml": "apiVersion: v1\nkind: ConfigMap\n"})
    response = push(default_policy_server, "team", chart)
    assert response.status == 400, response.body[:300]
    assert "line break" in response.json()["error"]
    assert default_policy_server.curl("/team/index.yaml").status == 200


def test_if_else_duplicates_below_the_root_are_accepted(default_policy_server, tmp_path):
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: web\n          {{- if .Values.pin }}\n          image: a\n"
                  "          {{- else }}\n          image: b\n          {{- end }}\n")
    chart = make_chart(str(tmp_path), "webdup", "1.0.0", {"templates/deployment.yaml": deployment})
    response = push(default_policy_server, "team", chart)
    assert response.status == 201, response.body[:300]


def test_an_exemption_goes_to_the_named_signer_not_to_the_name(attack_server, pgp, tmp_path):
    chart = make_chart(str(tmp_path), "kube-state-metrics", "5.0.0", {"templates/rbac.yaml": PLAIN})
    # Unsigned: staged on the landed code, inheriting the name's exemption; refused now.
    unsigned = push(attack_server, "signed", chart)
    assert unsigned.status == 403 and "ClusterRoleBinding" in unsigned.json()["error"], unsigned
    # Signed by a trusted key, but not the one the exemption names.
    other = push(attack_server, "signed", chart, pgp.prov(chart, "rsa-signer"))
    assert other.status == 403 and "ClusterRoleBinding" in other.json()["error"], other
    # Signed by the named signer: let through, and the verdict says what earned it.
    signed = push(attack_server, "signed", chart, pgp.prov(chart, "ed25519-signer"))
    assert signed.status == 201, signed
    policy = attack_server.curl("/api/admin/charts/signed/kube-state-metrics/5.0.0/policy", cert="admin").json()
    exemptions = policy["verdicts"][0]["verdict"]["exemptions"]
    assert {(e["violation"]["kind"], e["allowedBy"], e["grantedBy"]) for e in exemptions} == {
        ("ClusterRoleBinding", "kube-state-metrics", f"signer:{ED25519}")}


def test_without_provenance_an_exemption_goes_only_to_the_named_uploader(attack_server, tmp_path):
    chart = make_chart(str(tmp_path), "kube-state-metrics", "5.0.0", {"templates/rbac.yaml": PLAIN})
    other_writer = push(attack_server, "writers", chart, cert="ci-pusher")
    assert other_writer.status == 403 and "ClusterRoleBinding" in other_writer.json()["error"], other_writer
    named = push(attack_server, "writers", chart, cert="admin")
    assert named.status == 201, named


def test_an_allow_entry_naming_no_binding_is_a_startup_error(chartwarden_bin, tmp_path):
    config = base_config(tmp_path / "data")
    config["repositories"] = [{"name": "team", "read": ["anonymous"], "contentPolicy": {
        "allow": [{"chart": "kube-state-metrics", "kinds": ["ClusterRoleBinding"]}]}}]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "repositories[0].contentPolicy.allow[0]" in result.stderr and "signers" in result.stderr, result.stderr


def test_scan_assumes_the_signer_it_is_told(chartwarden_bin, tmp_path):
    chart = make_chart(str(tmp_path), "kube-state-metrics", "5.0.0", {"templates/rbac.yaml": PLAIN})
    config = base_config(tmp_path / "unused")
    attack_config(config)
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(config))

    def scan(*args):
        return subprocess.run([chartwarden_bin, "scan", chart, "--config", str(path), "--repo", "signed", *args],
                              capture_output=True, text=True, cwd=TOP)
    pending = scan()
    assert pending.returncode == 1 and f"only if signed by {ED25519}" in pending.stdout, pending.stdout
    assert scan("--signer", PGP_KEYS["rsa-signer"]["fingerprint"]).returncode == 1
    assert scan("--signer", ED25519).returncode == 0
    digest = hashlib.sha256(open(chart, "rb").read()).hexdigest()
    assert f"sha256:{digest}"  # the scan binds digests to the file it reads


def test_scan_exits_1_for_a_chart_the_server_cannot_read(chartwarden_bin, tmp_path):
    """The README promises 1 for "would refuse it or cannot read it" (it was 64, a usage error)."""
    chart = make_chart(str(tmp_path), "nelsplice", "1.0.0",
                       {"templates/a.yaml": b"apiVersion: v1\nkind: ConfigMap\n# c\xc2{{/**/}}\x85kind: ClusterRoleBinding\n"})
    config = base_config(tmp_path / "unused")
    attack_config(config)
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([chartwarden_bin, "scan", chart, "--config", str(path), "--repo", "team"],
                            capture_output=True, text=True, cwd=TOP)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "not UTF-8" in result.stderr
