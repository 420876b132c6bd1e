"""Content policy end to end: hostile and ordinary charts pushed over HTTPS with curl, verdicts read
back through the admin API, the real Helm client pulling what was let in, and `chartwarden scan`
offline. Fixtures: charts-fixtures/policy (make_policy.py) and charts-fixtures/packaged."""
import json
import os
import subprocess

import pytest
import yaml

from conftest import FIXTURES, PACKAGED, TOP, base_config, pgp_file, tls_file

POLICY = os.path.join(FIXTURES, "policy")
EXPECTED = json.load(open(os.path.join(POLICY, "expected.json")))
HOSTILE = sorted(name for name, violations in EXPECTED.items() if violations)
ORDINARY = sorted(name for name in os.listdir(PACKAGED) if name.endswith(".tgz")) + ["widget-operator-1.0.0.tgz"]

# Entries name what earns them (issue #19): here the CI pusher, by certificate and by group.
PLATFORM_ALLOW = [
    {"chart": "metrics-exporter", "kinds": ["ClusterRole", "ClusterRoleBinding"], "uploaders": ["cert:ci-pusher"]},
    {"chart": "ingress-*", "kinds": ["ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"],
     "uploaders": ["group:ci"]},
]


def policy_config(config):
    def repository(name, **extra):
        return {"name": name, "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"], **extra}
    config["repositories"] = [
        repository("team"),  # no contentPolicy: the default for new repositories
        repository("platform", contentPolicy={"allow": PLATFORM_ALLOW, "warnKinds": ["IngressClass"]}),
        repository("sandbox", contentPolicy={"mode": "warn"}),
        repository("signed", provenance={"mode": "enforce", "trustedKeys": [pgp_file("ed25519-signer.pub.asc")]}),
    ]


@pytest.fixture
def policy_server(server_factory):
    return server_factory(policy_config)


def fixture_path(name):
    return os.path.join(POLICY, name) if name in EXPECTED else os.path.join(PACKAGED, name)


def push(server, repo, name, *extra):
    return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + fixture_path(name), *extra, cert="ci-pusher")


def name_version(file_name):
    stem = file_name[:-len(".tgz")]
    name, _, version = stem.rpartition("-")
    return name, version


def blob_files(server):
    root = os.path.join(server.config["storage"]["dataDir"], "blobs")
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)


def admin(server, path):
    return server.curl(path, cert="admin")


def violations_of(body):
    return sorted([v["file"], v["kind"], v["rule"]] for v in body["violations"])


def test_hostile_charts_are_refused_with_file_and_kind_and_nothing_is_stored(policy_server):
    blobs_before = blob_files(policy_server)
    for file_name in HOSTILE:
        response = push(policy_server, "team", file_name)
        assert response.status == 403, (file_name, response)
        body = response.json()
        assert "refused by the repository's content policy" in body["error"], body
        assert violations_of(body) == sorted(EXPECTED[file_name]), file_name
        assert all(v["severity"] == "deny" and v["line"] > 0 for v in body["violations"])
        name, version = name_version(file_name)
        assert policy_server.curl(f"/api/team/charts/{name}/{version}").status == 404
        assert policy_server.curl(f"/team/charts/{file_name}").status == 404
    index = yaml.safe_load(policy_server.curl("/team/index.yaml").body)
    assert not index.get("entries")
    assert blob_files(policy_server) == blobs_before
    # The server keeps serving: an ordinary chart goes in right after.
    assert push(policy_server, "team", "webapp-1.0.0.tgz").status == 201


def test_the_nested_subchart_archive_is_named_inside_its_parent(policy_server):
    body = push(policy_server, "team", "innocent-parent-1.0.0.tgz").json()
    assert [v["file"] for v in body["violations"]] == [
        "charts/log-shipper-0.2.0.tgz!/charts/node-access-0.1.0.tgz!/templates/clusterrolebinding.yaml"]


def test_ordinary_charts_pass_and_helm_pulls_them(policy_server, helm):
    for file_name in ORDINARY:
        response = push(policy_server, "team", file_name)
        assert response.status == 201, (file_name, response)
    helm.run("repo-add", "team", policy_server.url + "/team", "--ca-file", tls_file("ca.crt"))
    helm.run("repo-update")
    shown = helm.run("show-chart", "team/widget-operator").stdout
    assert "name: widget-operator" in shown
    verdict = admin(policy_server, "/api/admin/charts/team/widget-operator/1.0.0/policy").json()
    assert verdict["status"] == "active" and verdict["mode"] == "enforce"
    only = verdict["verdicts"][0]
    assert only["outcome"] == "stored" and only["verdict"]["violations"] == []
    assert only["verdict"]["kindsFound"] == 3 and only["verdict"]["scannedFiles"] == 3


def test_an_allow_entry_lets_the_named_real_style_charts_through_and_nothing_else(policy_server, helm):
    for file_name in ["metrics-exporter-5.18.0.tgz", "ingress-gateway-4.10.1.tgz"]:
        assert push(policy_server, "team", file_name).status == 403, file_name
        assert push(policy_server, "platform", file_name).status == 201, file_name
    # The allowance names charts: the classic exploit is still refused next to them.
    refused = push(policy_server, "platform", "cluster-admin-grab-1.0.0.tgz")
    assert refused.status == 403
    assert violations_of(refused.json()) == sorted(EXPECTED["cluster-admin-grab-1.0.0.tgz"])

    exporter = admin(policy_server, "/api/admin/charts/platform/metrics-exporter/5.18.0/policy").json()
    stored = exporter["verdicts"][0]["verdict"]
    assert stored["violations"] == []
    assert sorted((e["violation"]["kind"], e["allowedBy"], e["grantedBy"]) for e in stored["exemptions"]) == [
        ("ClusterRole", "metrics-exporter", "uploader:cert:ci-pusher"),
        ("ClusterRoleBinding", "metrics-exporter", "uploader:cert:ci-pusher")]
    # warnKinds: stored, and the warning is on record.
    ingress = admin(policy_server, "/api/admin/charts/platform/ingress-gateway/4.10.1/policy").json()
    warnings = ingress["verdicts"][0]["verdict"]["violations"]
    assert [(w["kind"], w["rule"], w["severity"]) for w in warnings] == [("IngressClass", "warn-kind", "warn")]
    assert {e["allowedBy"] for e in ingress["verdicts"][0]["verdict"]["exemptions"]} == {"ingress-*"}

    helm.run("repo-add", "platform", policy_server.url + "/platform", "--ca-file", tls_file("ca.crt"))
    assert "name: metrics-exporter" in helm.run("show-chart", "platform/metrics-exporter").stdout


def test_warn_mode_stores_and_records_the_violations(policy_server):
    assert push(policy_server, "sandbox", "cluster-admin-grab-1.0.0.tgz").status == 201
    assert policy_server.curl("/sandbox/charts/cluster-admin-grab-1.0.0.tgz").status == 200
    verdict = admin(policy_server, "/api/admin/charts/sandbox/cluster-admin-grab/1.0.0/policy").json()
    assert verdict["mode"] == "warn"
    entry = verdict["verdicts"][0]
    assert entry["outcome"] == "stored" and entry["verdict"]["mode"] == "warn"
    assert sorted([v["file"], v["kind"], v["rule"]] for v in entry["verdict"]["violations"]) == sorted(
        EXPECTED["cluster-admin-grab-1.0.0.tgz"])
    events = admin(policy_server, "/api/admin/audit?repo=sandbox").json()["events"]
    upload = next(e for e in events if e["action"] == "upload")
    assert upload["outcome"] == "active"
    assert len(upload["detail"]["contentPolicy"]["violations"]) == 2


def test_refusals_are_audited_and_shown_to_admins_only(policy_server):
    assert push(policy_server, "team", "quiet-helper-1.0.0.tgz").status == 403
    events = admin(policy_server, "/api/admin/audit?repo=team&outcome=rejected").json()["events"]
    assert [e["subject"] for e in events] == ["quiet-helper-1.0.0"]
    assert events[0]["actor"] == "cert:ci-pusher"
    assert {v["kind"] for v in events[0]["detail"]["contentPolicy"]["violations"]} == {"ClusterRole", "ClusterRoleBinding"}

    path = "/api/admin/charts/team/quiet-helper/1.0.0/policy"
    verdict = admin(policy_server, path).json()
    assert "status" not in verdict  # never stored
    assert [v["outcome"] for v in verdict["verdicts"]] == ["refused"]
    assert policy_server.curl(path, cert="ci-pusher").status == 403
    assert policy_server.curl(path).status == 401
    assert admin(policy_server, "/api/admin/charts/team/never-seen/1.0.0/policy").status == 404


def test_a_good_signature_does_not_excuse_what_a_chart_does(policy_server, pgp, tmp_path):
    chart = fixture_path("cluster-admin-grab-1.0.0.tgz")
    prov = tmp_path / "cluster-admin-grab-1.0.0.tgz.prov"
    prov.write_bytes(pgp.prov(chart, "ed25519-signer"))
    response = policy_server.curl("/api/signed/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov}", cert="ci-pusher")
    assert response.status == 403
    assert {v["kind"] for v in response.json()["violations"]} == {"ClusterRole", "ClusterRoleBinding"}
    # The same signer's ordinary chart goes in, and the provenance view shows both verdicts.
    chart = fixture_path("widget-operator-1.0.0.tgz")
    prov = tmp_path / "widget-operator-1.0.0.tgz.prov"
    prov.write_bytes(pgp.prov(chart, "ed25519-signer"))
    assert policy_server.curl("/api/signed/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov}",
                              cert="ci-pusher").status == 201
    view = admin(policy_server, "/api/admin/charts/signed/widget-operator/1.0.0/provenance").json()
    assert all(check["passed"] for check in view["verdict"]["checks"])
    assert view["contentPolicy"]["mode"] == "enforce" and view["contentPolicy"]["violations"] == []


# --- chartwarden scan: the same check offline ----------------------------------------------------

def scan(binary, tmp_path, *args):
    config = base_config(tmp_path / "unused")
    policy_config(config)
    path = tmp_path / "scan.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([binary, "scan", *args, "--config", str(path)], capture_output=True, text=True, cwd=TOP)


def test_scan_gives_the_servers_verdict_offline(chartwarden_bin, tmp_path):
    for file_name in HOSTILE:
        result = scan(chartwarden_bin, tmp_path, fixture_path(file_name), "--repo", "team")
        assert result.returncode == 1, (file_name, result.stdout, result.stderr)
        for file, kind, rule in EXPECTED[file_name]:
            assert any(file in line and kind in line and f"[{rule}]" in line and line.startswith("DENY")
                       for line in result.stdout.splitlines()), (file_name, result.stdout)
    for file_name in ORDINARY:
        result = scan(chartwarden_bin, tmp_path, fixture_path(file_name), "--repo", "team")
        assert result.returncode == 0, (file_name, result.stdout)
    allowed = scan(chartwarden_bin, tmp_path, fixture_path("metrics-exporter-5.18.0.tgz"), "--repo", "platform",
                   "--uploader", "cert:ci-pusher", "--json")
    assert allowed.returncode == 0
    assert len(json.loads(allowed.stdout)["exemptions"]) == 2
    warned = scan(chartwarden_bin, tmp_path, fixture_path("cluster-admin-grab-1.0.0.tgz"), "--repo", "sandbox")
    assert warned.returncode == 0 and "DENY" in warned.stdout
    unreadable = scan(chartwarden_bin, tmp_path, os.path.join(FIXTURES, "hostile", "symlink.tgz"), "--repo", "team")
    assert unreadable.returncode != 0 and "symbolic link" in unreadable.stderr
    ambiguous = scan(chartwarden_bin, tmp_path, fixture_path("webapp-1.0.0.tgz"))
    assert ambiguous.returncode != 0 and "--repo is required" in ambiguous.stderr


def test_a_bad_content_policy_is_a_startup_error_naming_the_key(chartwarden_bin, tmp_path):
    for policy, key in [({"mode": "strict"}, "contentPolicy.mode"),
                        ({"denyKinds": ["Cluster Role"]}, "contentPolicy.denyKinds[0]"),
                        ({"allow": [{"chart": "x"}]}, "contentPolicy.allow[0].kinds"),
                        ({"allow": [{"chart": "x", "kinds": ["Role"]}]}, "contentPolicy.allow[0]"),
                        ({"allow": [{"chart": "x", "kinds": ["Role"], "signers": ["ABCD"]}]},
                         "contentPolicy.allow[0].signers[0]"),
                        ({"dynamicKinds": "maybe"}, "contentPolicy.dynamicKinds"),
                        ({"denykinds": []}, "contentPolicy.denykinds")]:
        config = {"server": {"listen": "127.0.0.1:0",
                             "tls": {"certificate": tls_file("server.crt"), "privateKey": tls_file("server.key")}},
                  "storage": {"dataDir": str(tmp_path / "data")},
                  "repositories": [{"name": "team", "read": ["anonymous"], "contentPolicy": policy}]}
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(config))
        result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode != 0
        assert f"repositories[0].{key}" in result.stderr, (policy, result.stderr)
