"""Issue #19, YAML and index attacks, on real sockets: hostile YAML in provs and Chart.yaml is a
400 with the reason (never a crash, never staged), and odd text in a chart cannot break
index.yaml for Helm. Charts are built here with tarfile; provs are signed with the test keys."""
import gzip
import io
import tarfile

import pytest
import yaml

from conftest import pgp_file, tls_file


def provenance_config(mutate_extra=None):
    def mutate(config):
        def repo(name, mode):
            return {"name": name, "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
                    "provenance": {"mode": mode, "stagingTTLSeconds": 3600,
                                   "trustedKeys": [pgp_file("ed25519-signer.pub.asc")]}}
        config["repositories"] = [repo("signed", "enforce"), repo("open", "off"),
                                  {"name": "stable", "read": ["anonymous"], "write": ["group:ci"]}]
    return mutate


@pytest.fixture
def yaml_server(server_factory):
    return server_factory(provenance_config())


def chart_tgz(chart_yaml, name="evil"):
    """A minimal chart archive whose Chart.yaml is exactly `chart_yaml` (text)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in [(f"{name}/Chart.yaml", chart_yaml.encode()),
                           (f"{name}/values.yaml", b"{}\n"),
                           (f"{name}/templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")]:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def upload(server, tmp_path, data, repo="stable", prov=None, file_name="chart.tgz"):
    chart = tmp_path / file_name
    chart.write_bytes(data)
    if prov is None:
        return server.curl(f"/api/{repo}/charts", "--data-binary", f"@{chart}", cert="ci-pusher")
    prov_path = tmp_path / (file_name + ".prov")
    prov_path.write_bytes(prov)
    return server.curl(f"/api/{repo}/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov_path}", cert="ci-pusher")


def post_prov(server, tmp_path, prov, repo="signed"):
    path = tmp_path / "attached.prov"
    path.write_bytes(prov)
    return server.curl(f"/api/{repo}/prov", "--data-binary", f"@{path}", cert="ci-pusher")


def assert_alive(server):
    """The process is still running and still answers."""
    assert server.process.poll() is None, server.log()[-2000:]
    assert server.curl("/stable/index.yaml").status == 200


def laughs(levels, width=10):
    """A billion-laughs ladder: `levels` anchored lists of `width` aliases to the previous one."""
    lines = ['l0: &l0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


FILES = "\n...\nfiles:\n  demo-1.0.0.tgz: sha256:" + "0" * 64 + "\n"
# Expansions stay small (10^4) so the old code answers instead of dying: it accepted these.
HOSTILE_BODIES = {
    "non-scalar key": "? [x]\n: y\nname: demo\nversion: 1.0.0\n",
    "alias bomb": "apiVersion: v2\nname: demo\nversion: 1.0.0\n" + laughs(4),
    "alias as key": "apiVersion: v2\nname: demo\nversion: 1.0.0\nk: &k key\nm: {*k : 1}\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_hostile_prov_body_is_400_and_the_server_lives(yaml_server, pgp, tmp_path, case):
    prov = pgp.clearsign(HOSTILE_BODIES[case] + FILES, "ed25519-signer")
    response = post_prov(yaml_server, tmp_path, prov)
    assert response.status == 400, response
    assert "not valid YAML for a chart" in response.json()["error"], response
    assert_alive(yaml_server)


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_hostile_prov_field_in_every_mode(yaml_server, pgp, tmp_path, case):
    """The multipart `prov` field: read by the envelope in `off` mode, by the verifier (on
    GnuPG's plaintext, also for an unknown key) in `enforce` mode."""
    chart = chart_tgz("apiVersion: v2\nname: demo\nversion: 1.0.0\n", name="demo")
    for repo, key in [("open", "ed25519-signer"), ("signed", "ed25519-signer"), ("signed", "untrusted-signer")]:
        prov = pgp.clearsign(HOSTILE_BODIES[case] + FILES, key)
        response = upload(yaml_server, tmp_path, chart, repo=repo, prov=prov, file_name="demo-1.0.0.tgz")
        if repo == "open":
            assert response.status == 400 and "not valid YAML for a chart" in response.json()["error"], response
        else:
            assert response.status == 403 and "body-layout" in response.json()["failedChecks"], response
        assert_alive(yaml_server)
    assert yaml_server.curl("/open/charts/demo-1.0.0.tgz").status == 404
    assert yaml_server.curl("/signed/charts/demo-1.0.0.tgz").status == 404


CHART_BOMBS = {
    # An anchored 1 KB keyword repeated 2,000 times (the review used 100 KB x 100,000).
    "keywords alias bomb": "apiVersion: v2\nname: evil\nversion: 1.0.0\nkeywords:\n  - &k " + "x" * 1024 + "\n"
                           + "  - *k\n" * 2000,
    "aliases in unknown fields": "apiVersion: v2\nname: evil\nversion: 1.0.0\n" + laughs(4),
    "alias as key": "apiVersion: v2\nname: evil\nversion: 1.0.0\nx: &a [1, 2]\ny: &b k\nmap: {*b : 1}\n",
    "aliases as keys of a bomb": "apiVersion: v2\nname: evil\nversion: 1.0.0\n" + laughs(3) + "m: {? *l3 : 1}\n",
}


@pytest.mark.parametrize("case", sorted(CHART_BOMBS))
def test_chart_yaml_alias_bomb_in_a_lone_enforce_upload(yaml_server, pgp, tmp_path, case):
    response = upload(yaml_server, tmp_path, chart_tgz(CHART_BOMBS[case]), repo="signed")
    assert response.status == 400, response
    error = response.json()["error"]
    assert "Chart.yaml is not valid YAML for a chart" in error and ("anchors" in error or "aliases" in error), error
    # Nothing was staged: a prov for evil 1.0.0 finds no chart to attach to.
    prov = pgp.clearsign("apiVersion: v2\nname: evil\nversion: 1.0.0\n...\nfiles:\n  evil-1.0.0.tgz: sha256:"
                         + "0" * 64 + "\n", "ed25519-signer")
    attached = post_prov(yaml_server, tmp_path, prov)
    assert attached.status == 404, attached
    assert_alive(yaml_server)


def helm_reads_the_index(server, helm, name, version):
    """`repo add` and `repo update` load index.yaml with Go's YAML parser, which refuses the whole
    file over one bad character; `locate` then finds a chart through it and loads that chart."""
    helm.run("repo-add", "cw", server.url + "/stable", "--ca-file", tls_file("ca.crt"))
    helm.run("repo-update")
    helm.run("locate", f"cw/{name}", version, "--ca-file", tls_file("ca.crt"))


def test_unprintable_code_points_are_escaped_and_helm_reads_the_index(yaml_server, helm, tmp_path):
    good = chart_tgz("apiVersion: v2\nname: good\nversion: 1.0.0\n", name="good")
    assert upload(yaml_server, tmp_path, good).status == 201
    odd = "a\\uFFFFb\\uFFFEc\\u0085d\\u0001e\\u200Ff\\uFEFFg\\u009Fh"
    chart = chart_tgz(f'apiVersion: v2\nname: odd\nversion: 1.0.0\ndescription: "{odd}"\n'
                      f'keywords: ["\\uFFFF"]\nannotations:\n  note: "\\uFFFE"\n', name="odd")
    assert upload(yaml_server, tmp_path, chart).status == 201
    helm_reads_the_index(yaml_server, helm, "good", "1.0.0")
    expected = "a\uffffb\ufffec\x85d\x01e\u200ff\ufeffg\x9fh"
    raw = yaml_server.curl("/stable/index.yaml").body
    for code_point in ["\uffff", "\ufffe", "\x85", "\x01", "\ufeff", "\x9f"]:
        assert code_point.encode() not in raw, repr(code_point)
    entry = yaml.safe_load(raw)["entries"]["odd"][0]
    assert entry["description"] == expected and entry["keywords"] == ["\uffff"]
    assert entry["annotations"] == {"note": "\ufffe"}
    assert yaml_server.curl("/api/stable/charts/odd/1.0.0").json()["description"] == expected


def test_long_annotation_key_is_refused_and_helm_keeps_working(yaml_server, helm, tmp_path):
    good = chart_tgz("apiVersion: v2\nname: good\nversion: 1.0.0\n", name="good")
    assert upload(yaml_server, tmp_path, good).status == 201
    # An implicit key this long is a syntax error in Chart.yaml itself; an explicit `? key` is not.
    key = "example.com/" + "k" * 1100
    response = upload(yaml_server, tmp_path, chart_tgz(f"apiVersion: v2\nname: longkey\nversion: 1.0.0\n"
                                                       f"annotations:\n  ? {key}\n  : v\n", name="longkey"))
    assert response.status == 400, response
    assert "annotation key 'example.com/kkk" in response.json()["error"] and "at most 500" in response.json()["error"]
    for bad_key in ['"a\\nb"', '"a\\uFFFFb"']:
        refused = upload(yaml_server, tmp_path, chart_tgz(f"apiVersion: v2\nname: badkey\nversion: 1.0.0\n"
                                                          f"annotations:\n  {bad_key}: v\n", name="badkey"))
        assert refused.status == 400 and "annotation key" in refused.json()["error"], refused
    # The longest accepted key still reads in Helm.
    longest = "example.com/" + "k" * 488
    assert upload(yaml_server, tmp_path, chart_tgz(f"apiVersion: v2\nname: longest\nversion: 1.0.0\n"
                                                   f"annotations:\n  {longest}: v\n", name="longest")).status == 201
    helm_reads_the_index(yaml_server, helm, "longest", "1.0.0")
    assert yaml.safe_load(yaml_server.curl("/stable/index.yaml").body)["entries"]["longest"][0]["annotations"] == {longest: "v"}


def helm_shows(helm, tmp_path, data, file_name="shown.tgz"):
    """Chart.yaml as the real Helm library reads it from a chart archive (`helm show chart`)."""
    path = tmp_path / file_name
    path.write_bytes(data)
    return yaml.safe_load(helm.run("show-chart", str(path)).stdout)


HEAD = "apiVersion: v2\nname: evil\nversion: 1.0.0\n"
# Chart.yaml that Helm reads differently from a plain reading: (text, what Helm reads, what the
# 400 must name). Helm goes through sigs.k8s.io/yaml and encoding/json, which match keys to fields
# by case folding (ſ is s, the Kelvin sign is k) and resolve unquoted scalars the YAML 1.1 way.
HELM_READS_DIFFERENTLY = {
    "folded version": (HEAD + "verſion: 6.6.6\n", {"version": "6.6.6"}, "'verſion' is not 'version'"),
    "capitalised dependencies": (HEAD + "Dependencies:\n- name: db\n  repository: https://evil.example\n",
                                 {"dependencies": [{"name": "db", "repository": "https://evil.example"}]},
                                 "'Dependencies' is not 'dependencies'"),
    "folded repository": (HEAD + "dependencies:\n- name: db\n  repository: https://good.example\n"
                          "  repoſitory: https://evil.example\n",
                          {"dependencies": [{"name": "db", "repository": "https://evil.example"}]},
                          "'dependencies[0].repoſitory' is not 'repository'"),
    "kelvin kubeVersion": (HEAD + "\u212aubeVersion: '>=1'\n", {"kubeVersion": ">=1"}, "is not 'kubeVersion'"),
    "unquoted appVersion": (HEAD + "appVersion: 1.10\n", {"appVersion": "1.1"},
                            "'appVersion' is the unquoted value '1.10', which Helm reads as '1.1'; quote it"),
    "yaml 1.1 keywords": (HEAD + "keywords: [web, on, 010]\n", {"keywords": ["web", "true", "8"]}, "'keywords[1]'"),
    "yaml 1.1 annotation": (HEAD + "annotations:\n  example.com/flag: y\n", {"annotations": {"example.com/flag": "true"}},
                            "'annotations.example.com/flag'"),
}


@pytest.mark.parametrize("case", sorted(HELM_READS_DIFFERENTLY))
def test_chart_yaml_that_helm_reads_differently_is_refused(yaml_server, helm, tmp_path, case):
    text, helm_reads, named = HELM_READS_DIFFERENTLY[case]
    data = chart_tgz(text)
    shown = helm_shows(helm, tmp_path, data)
    for field, value in helm_reads.items():
        assert shown.get(field) == value, shown  # the attack is real: this is what `helm install` gets
    response = upload(yaml_server, tmp_path, data)
    assert response.status == 400, response
    assert named in response.json()["error"], response.json()
    assert "evil" not in yaml.safe_load(yaml_server.curl("/stable/index.yaml").body)["entries"]
    assert_alive(yaml_server)


def test_chart_yaml_that_helm_reads_alike_is_indexed_as_helm_reads_it(yaml_server, helm, tmp_path):
    data = chart_tgz("apiVersion: v2\nname: alike\nversion: 1.0.0\nappVersion: 1.16\nkeywords: [web, \"on\"]\n"
                     "annotations:\n  count: 3\n  \"010\": quoted\n", name="alike")
    shown = helm_shows(helm, tmp_path, data)
    assert upload(yaml_server, tmp_path, data).status == 201
    entry = yaml.safe_load(yaml_server.curl("/stable/index.yaml").body)["entries"]["alike"][0]
    for field in ["appVersion", "keywords", "annotations"]:
        assert entry[field] == shown[field], (field, entry[field], shown[field])
    assert entry["annotations"] == {"count": "3", "010": "quoted"}


def test_too_many_annotations_are_refused(yaml_server, tmp_path):
    def chart(count):
        return chart_tgz("apiVersion: v2\nname: many\nversion: 1.0.0\nannotations:\n"
                         + "".join(f"  k{i}: v\n" for i in range(count)), name="many")
    response = upload(yaml_server, tmp_path, chart(257))
    assert response.status == 400 and "at most 256" in response.json()["error"], response
    # Past the composer's cap the document is refused while it is read, before any decoding.
    response = upload(yaml_server, tmp_path, chart(4000))
    assert response.status == 400 and "more than 1000 keys (at annotations" in response.json()["error"], response
    assert upload(yaml_server, tmp_path, chart(256)).status == 201
    assert_alive(yaml_server)
