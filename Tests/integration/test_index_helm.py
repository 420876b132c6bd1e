"""The index ChartWarden renders is accepted by the real Helm client, in YAML and in JSON, and
`chartwarden index DIR` makes DIR a static repository as `helm repo index DIR` does."""
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import FIXTURES, packaged, tls_file

# Written out by hand from SemVer 2 precedence, independently of ChartWarden's own ordering code.
EXPECTED_NEWEST_FIRST = {
    "batch-jobs": ["3.0.0"],
    "cert-operator": ["2.3.1"],
    "common-lib": ["1.4.0"],
    "legacy-ingress": ["0.9.7"],
    "node-agent": ["0.3.0-alpha.10", "0.3.0-alpha.2", "0.3.0-alpha.1"],
    "redis-lite": ["0.8.2", "0.8.1"],
    "webapp": ["2.0.0-beta.2+build.7", "1.2.0", "1.2.0-rc.1", "1.1.1+hotfix.3", "1.1.0", "1.0.0"],
}
# What `helm show chart repo/name` picks: the newest version that is not a pre-release.
EXPECTED_STABLE = {"batch-jobs": "3.0.0", "cert-operator": "2.3.1", "common-lib": "1.4.0",
                   "legacy-ingress": "0.9.7", "redis-lite": "0.8.2", "webapp": "1.2.0"}


@pytest.mark.parametrize("index_format", ["yaml", "json"])
def test_helm_accepts_rendered_index(tmp_path, chartwarden_bin, helm, static_server, index_format):
    site = tmp_path / "site"
    shutil.copytree(os.path.join(FIXTURES, "packaged"), site / "charts")
    subprocess.run([chartwarden_bin, "index", str(site), "--format", index_format,
                    "--output", str(site / "index.yaml")], check=True)
    document = yaml.safe_load((site / "index.yaml").read_text())
    assert {name: [v["version"] for v in versions] for name, versions in document["entries"].items()} \
        == EXPECTED_NEWEST_FIRST

    url = static_server(site)
    helm.run("repo-add", "fixtures", url)
    for name, version in EXPECTED_STABLE.items():
        shown = yaml.safe_load(helm.run("show-chart", f"fixtures/{name}").stdout)
        assert (shown["name"], shown["version"]) == (name, version)
    # Every version, pre-releases and build metadata included, is found through the index,
    # downloaded, digest-checked and loaded by Helm.
    for name, versions in EXPECTED_NEWEST_FIRST.items():
        for version in versions:
            result = helm.run("locate", f"fixtures/{name}", version, check=False)
            assert result.returncode == 0, f"{name} {version}: {result.stderr}"


def test_helm_refuses_a_version_the_index_does_not_have(tmp_path, chartwarden_bin, helm, static_server):
    site = tmp_path / "site"
    shutil.copytree(os.path.join(FIXTURES, "packaged"), site / "charts")
    subprocess.run([chartwarden_bin, "index", str(site), "--output", str(site / "index.yaml")], check=True)
    helm.run("repo-add", "fixtures", static_server(site))
    result = helm.run("locate", "fixtures/webapp", "9.9.9", check=False)
    assert result.returncode != 0 and "9.9.9" in result.stderr


def test_harness_detects_an_index_helm_rejects(tmp_path, chartwarden_bin, helm, static_server):
    """Helm parses index.yaml strictly: one unknown field fails the whole file. This is why the
    renderer writes only Helm's fields, and it shows the harness above can fail."""
    site = tmp_path / "site"
    shutil.copytree(os.path.join(FIXTURES, "packaged"), site / "charts")
    subprocess.run([chartwarden_bin, "index", str(site), "--output", str(site / "index.yaml")], check=True)
    text = (site / "index.yaml").read_text().replace("    digest:", '    unknownField: "x"\n    digest:', 1)
    (site / "index.yaml").write_text(text)
    result = helm.run("repo-add", "fixtures", static_server(site), check=False)
    assert result.returncode != 0 and "unknownField" in result.stderr


def chart_urls(index_path):
    document = yaml.safe_load(open(index_path).read())
    return {name: [url for v in versions for url in v["urls"]] for name, versions in document["entries"].items()}


def test_index_dir_served_as_is_over_https_is_a_helm_repository(tmp_path, chartwarden_bin, helm, static_server):
    """`chartwarden index DIR > DIR/index.yaml`: URLs relative to DIR, charts in a subdirectory
    included as `sub/N-V.tgz` (Helm's IndexDirectory), and Helm downloads every chart."""
    site = tmp_path / "site"
    (site / "older").mkdir(parents=True)
    for name in ["redis-lite-0.8.2.tgz", "webapp-1.2.0.tgz"]:
        shutil.copy(packaged(name), site / name)
    shutil.copy(packaged("redis-lite-0.8.1.tgz"), site / "older" / "redis-lite-0.8.1.tgz")
    with open(site / "index.yaml", "wb") as out:
        subprocess.run([chartwarden_bin, "index", str(site)], stdout=out, check=True)
    assert chart_urls(site / "index.yaml") == {
        "redis-lite": ["redis-lite-0.8.2.tgz", "older/redis-lite-0.8.1.tgz"], "webapp": ["webapp-1.2.0.tgz"]}

    url = static_server(site, tls=True)
    helm.run("repo-add", "site", url, "--ca-file", tls_file("ca.crt"))
    helm.run("repo-update")
    for name, version in [("redis-lite", "0.8.2"), ("webapp", "1.2.0")]:
        shown = yaml.safe_load(helm.run("show-chart", f"site/{name}").stdout)
        assert (shown["name"], shown["version"]) == (name, version)
    for name, version in [("redis-lite", "0.8.2"), ("redis-lite", "0.8.1"), ("webapp", "1.2.0")]:
        result = helm.run("locate", f"site/{name}", version, "--ca-file", tls_file("ca.crt"), check=False)
        assert result.returncode == 0, f"{name} {version}: {result.stderr}"


def test_index_base_url_makes_absolute_urls_helm_follows(tmp_path, chartwarden_bin, helm, static_server):
    """`--base-url URL` (helm repo index --url): each URL is the relative path under URL; here the
    index lives at the site root and the charts under /mirror."""
    site = tmp_path / "site"
    (site / "mirror").mkdir(parents=True)
    shutil.copy(packaged("common-lib-1.4.0.tgz"), site / "mirror" / "common-lib-1.4.0.tgz")
    url = static_server(site, tls=True)
    subprocess.run([chartwarden_bin, "index", str(site / "mirror"), "--base-url", url + "/mirror/",
                    "--output", str(site / "index.yaml")], check=True)
    assert chart_urls(site / "index.yaml") == {"common-lib": [url + "/mirror/common-lib-1.4.0.tgz"]}
    helm.run("repo-add", "site", url, "--ca-file", tls_file("ca.crt"))
    assert yaml.safe_load(helm.run("show-chart", "site/common-lib").stdout)["version"] == "1.4.0"


def _chart_with_text(directory, name, version, text):
    """A chart whose description and one annotation (key and value) hold `text` (a YAML
    double-quoted body, so Chart.yaml itself stays plain ASCII)."""
    import io
    import tarfile
    chart_yaml = (f'apiVersion: v2\nname: {name}\nversion: {version}\ndescription: "{text}"\n'
                  f'annotations:\n  "a: \\"b\\"": "{text}"\n')
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, content in [("Chart.yaml", chart_yaml), ("values.yaml", "replicaCount: 1\n")]:
            data = content.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (directory / f"{name}-{version}.tgz").write_bytes(buffer.getvalue())


def test_helm_reads_the_json_index_with_characters_json_leaves_raw(tmp_path, chartwarden_bin, helm, static_server):
    """The JSON form comes from a JSON encoder, which writes U+2028, NEL, the BOM and DEL raw (a YAML
    reader refuses some of them): Helm (3.13+) reads it as JSON, finds the chart and loads it."""
    site = tmp_path / "site"
    site.mkdir()
    _chart_with_text(site, "odd", "1.0.0", r'q \" b \\ n \n sep \u2028 nel \x85 bom \ufeff del \x7f end')
    subprocess.run([chartwarden_bin, "index", str(site), "--format", "json",
                    "--output", str(site / "index.yaml")], check=True)
    raw = (site / "index.yaml").read_bytes()
    assert "\u2028".encode() in raw and "\ufeff".encode() in raw, "the encoder left them raw"
    import json
    entry = json.loads(raw)["entries"]["odd"][0]
    assert entry["description"] == 'q " b \\ n \n sep \u2028 nel \x85 bom \ufeff del \x7f end'
    helm.run("repo-add", "odd", static_server(site))
    helm.run("repo-update", "odd")
    assert helm.run("locate", "odd/odd", "1.0.0").stdout.strip() == "located"
