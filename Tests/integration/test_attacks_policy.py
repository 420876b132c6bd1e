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

ED25519 = PGP_KEYS["ed25519-signer"]["fingerprint"]


def make_chart(directory, name, version, files):
    """A chart archive as `helm package` lays it out: NAME/Chart.yaml and the given files."""
    path = os.path.join(directory, f"{name}-{version}.tgz")
    entries = {"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n", **files}
    with tarfile.open(path, "w:gz") as archive:
        for inner, text in entries.items():
            data = text.encode()
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


def test_every_scanner_bypass_is_refused_with_the_binding_or_a_dynamic_kind(default_policy_server, tmp_path):
    attack_server = default_policy_server
    let_through = []
    for index, (name, files) in enumerate(sorted(BYPASSES.items())):
        chart = make_chart(str(tmp_path), f"bypass{index}", "1.0.0", files)
        response = push(attack_server, "team", chart)
        if not refused_for_the_binding(response):
            let_through.append((name, response.status, response.body[:300]))
    assert let_through == []
    # Nothing was published, and the server still serves.
    index = yaml.safe_load(attack_server.curl("/team/index.yaml").body)
    assert not index.get("entries")


def test_second_review_scanner_bypasses_are_refused(default_policy_server, tmp_path):
    let_through = []
    for index, (name, files) in enumerate(sorted(SECOND_BYPASSES.items())):
        chart_name = f"second{index}"
        files = {path: text.replace("{name}", chart_name) if path == "Chart.yaml" else text for path, text in files.items()}
        chart = make_chart(str(tmp_path), chart_name, "1.0.0", files)
        response = push(default_policy_server, "team", chart)
        if not refused_for_the_binding(response):
            let_through.append((name, response.status, response.body[:300]))
    assert let_through == []
    index = yaml.safe_load(default_policy_server.curl("/team/index.yaml").body)
    assert not index.get("entries")


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
