"""The OCI front door (/v2/) end to end: the real Helm client (registry login, push with the .prov
beside the chart, show chart on oci:// references), a raw OCI client for what Helm hides, and the
same provenance, content-policy and access rules as the ChartMuseum API."""
import io
import json
import os
import tarfile

import pytest
import yaml

from conftest import PGP_KEYS, TOP, make_htpasswd, packaged, pgp_file, tls_file
from oci_client import CHART, CONFIG, MANIFEST, PROV, OCIClient, config_of, digest_of

PASSWORD = "oci-secret"


def oci_config(htpasswd):
    """stable enforces provenance (rsa-signer trusted); plain does not; private is readable only by
    the reader certificate and the ci group. User `pusher` is in the ci group."""
    def mutate(config):
        config["auth"]["htpasswd"] = htpasswd
        config["auth"]["groups"]["ci"] = ["cert:ci-pusher", "user:pusher"]
        common = {"read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"]}
        config["repositories"] = [
            {"name": "stable", **common, "provenance": {"mode": "enforce",
                                                        "trustedKeys": [pgp_file("rsa-signer.pub.asc")]}},
            {"name": "plain", **common},
            {"name": "", **common, "allowOverwrite": True},
            {"name": "private", "read": ["cert:reader", "group:ci"], "write": ["group:ci"]},
        ]
        config["server"]["adminListen"] = "127.0.0.1:0"
    return mutate


@pytest.fixture(scope="module")
def htpasswd(chartwarden_bin, tmp_path_factory):
    path = tmp_path_factory.mktemp("oci-auth") / "htpasswd"
    return make_htpasswd(chartwarden_bin, path, {"pusher": PASSWORD})


@pytest.fixture
def registry(server_factory, htpasswd):
    return server_factory(oci_config(htpasswd))


def make_chart(directory, name, version, marker="one"):
    """A minimal chart archive `name-version.tgz` (fixed mtimes: the same arguments give the same bytes)."""
    files = {
        f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: {marker}\n",
        f"{name}/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                                            f"data:\n  marker: {marker}\n",
    }
    buffer = io.BytesIO()
    import gzip
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed:
        with tarfile.open(fileobj=compressed, mode="w") as archive:
            for path, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(path)
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                archive.addfile(info, io.BytesIO(data))
    path = os.path.join(str(directory), f"{name}-{version}.tgz")
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())
    return path


def login(helm, registry):
    helm.run("registry-login", f"localhost:{registry.port}", "--username", "pusher", "--password", PASSWORD,
             "--ca-file", tls_file("ca.crt"))


def helm_push(helm, registry, chart, repo="stable", check=True):
    return helm.run("push", chart, f"oci://localhost:{registry.port}/{repo}", "--ca-file", tls_file("ca.crt"),
                    check=check)


def helm_show(helm, registry, reference, check=True):
    return helm.run("show-chart", f"oci://localhost:{registry.port}/{reference}", "--ca-file", tls_file("ca.crt"),
                    check=check)


def index_versions(server, repo, name):
    index = yaml.safe_load(server.curl(f"/{repo}/index.yaml").body)
    return [entry["version"] for entry in (index.get("entries") or {}).get(name, [])]


def read(path):
    return open(path, "rb").read()


# --- GET /v2/ and helm registry login ------------------------------------------------------------

def test_base_endpoint_challenges_anonymous_callers_with_basic(registry):
    anonymous = OCIClient(registry).request("GET", "/v2/")
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"] == 'Basic realm="chartwarden"'
    assert anonymous.error_codes() == ["UNAUTHORIZED"]
    assert OCIClient(registry, user=f"pusher:{PASSWORD}").request("GET", "/v2/").status == 200
    assert OCIClient(registry, cert="reader").request("GET", "/v2/").status == 200
    wrong = OCIClient(registry, user="pusher:wrong").request("GET", "/v2/")
    assert wrong.status == 401 and wrong.headers["www-authenticate"] == 'Basic realm="chartwarden"'


def test_helm_registry_login_accepts_good_and_refuses_bad_credentials(registry, helm):
    login(helm, registry)
    bad = helm.run("registry-login", f"localhost:{registry.port}", "--username", "pusher", "--password", "nope",
                   "--ca-file", tls_file("ca.crt"), check=False)
    assert bad.returncode != 0


# --- Acceptance: helm push with the .prov, then helm show over OCI and the classic door ----------

def test_helm_push_signed_chart_then_show_it_over_oci_and_classic(registry, helm, pgp, tmp_path):
    chart = make_chart(tmp_path, "signed", "1.0.0")
    prov = pgp.prov(chart, "rsa-signer")
    open(chart + ".prov", "wb").write(prov)
    login(helm, registry)
    helm_push(helm, registry, chart)
    shown = yaml.safe_load(helm_show(helm, registry, "stable/signed:1.0.0").stdout)
    assert shown["name"] == "signed" and shown["version"] == "1.0.0"
    assert index_versions(registry, "stable", "signed") == ["1.0.0"]
    served = registry.curl("/stable/charts/signed-1.0.0.tgz.prov")
    assert served.status == 200 and served.body == prov
    assert registry.curl("/stable/charts/signed-1.0.0.tgz").body == read(chart)
    # The manifest Helm pushed is stored byte for byte: its digest is the one served.
    got = OCIClient(registry).request("GET", "/v2/stable/signed/manifests/1.0.0")
    assert got.status == 200 and got.headers["docker-content-digest"] == digest_of(got.body)
    layers = {layer["mediaType"]: layer for layer in got.json()["layers"]}
    assert layers[PROV]["digest"] == digest_of(prov) and layers[CHART]["digest"] == digest_of(read(chart))
    # The verdict is stored and audited as for uploads.
    verdict = registry.curl(registry.admin_url + "/api/admin/charts/stable/signed/1.0.0/provenance", cert="admin").json()
    assert verdict["verdict"]["signerFingerprint"] == PGP_KEYS["rsa-signer"]["fingerprint"]


@pytest.mark.parametrize("case", ["no-prov", "untrusted-key", "prov-for-other-bytes"])
def test_push_without_a_proving_prov_is_denied_and_leaves_nothing(registry, helm, pgp, tmp_path, case):
    chart = make_chart(tmp_path, "signed", "1.0.0")
    if case == "untrusted-key":
        open(chart + ".prov", "wb").write(pgp.prov(chart, "ecdsa-signer"))
    elif case == "prov-for-other-bytes":
        (tmp_path / "other").mkdir()
        other = make_chart(tmp_path / "other", "signed", "1.0.0", marker="other")
        open(chart + ".prov", "wb").write(pgp.prov(other, "rsa-signer"))
    login(helm, registry)
    result = helm_push(helm, registry, chart, check=False)
    assert result.returncode != 0 and "denied" in result.stderr.lower(), result.stderr
    # The same push through the raw client: 403 DENIED, with the failed checks in detail.
    prov = read(chart + ".prov") if os.path.exists(chart + ".prov") else None
    answer, _ = OCIClient(registry, cert="ci-pusher").push_chart("stable/signed", "1.0.0", read(chart), prov)
    assert answer.status == 403 and answer.error_codes() == ["DENIED"], answer
    assert answer.json()["errors"][0]["detail"]["failedChecks"], answer
    assert OCIClient(registry).request("GET", "/v2/stable/signed/manifests/1.0.0").error_codes() == ["MANIFEST_UNKNOWN"]
    assert OCIClient(registry).request("GET", "/v2/stable/signed/tags/list").json()["tags"] == []
    assert index_versions(registry, "stable", "signed") == []
    # Each refusal is audited (helm's push, then the raw client's), as for ChartMuseum uploads.
    events = registry.curl(registry.admin_url + "/api/admin/audit?repo=stable&outcome=rejected", cert="admin").json()
    assert [event["subject"] for event in events["events"]] == ["signed-1.0.0", "signed-1.0.0"], events


def test_content_policy_refuses_a_cluster_admin_chart_over_oci(registry):
    chart = read(os.path.join(TOP, "charts-fixtures", "policy", "cluster-admin-grab-1.0.0.tgz"))
    answer, _ = OCIClient(registry, cert="ci-pusher").push_chart("plain/cluster-admin-grab", "1.0.0", chart)
    assert answer.status == 403 and answer.error_codes() == ["DENIED"], answer
    violations = answer.json()["errors"][0]["detail"]["violations"]
    assert any(v["kind"] == "ClusterRoleBinding" for v in violations)
    assert index_versions(registry, "plain", "cluster-admin-grab") == []
    assert OCIClient(registry).request("GET", "/v2/plain/cluster-admin-grab/manifests/1.0.0").status == 404
    # The content verdict is stored as for uploads.
    verdicts = registry.curl(registry.admin_url + "/api/admin/charts/plain/cluster-admin-grab/1.0.0/policy",
                             cert="admin").json()
    assert [verdict["outcome"] for verdict in verdicts["verdicts"]] == ["refused"], verdicts


def test_chart_uploaded_with_curl_is_shown_by_helm_over_oci(registry, helm):
    uploaded = registry.curl("/api/plain/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    assert uploaded.status == 201, uploaded
    shown = yaml.safe_load(helm_show(helm, registry, "plain/redis-lite:0.8.1").stdout)
    assert shown["name"] == "redis-lite" and shown["version"] == "0.8.1"
    # The generated manifest is stored once: the same bytes every time.
    first = OCIClient(registry).request("GET", "/v2/plain/redis-lite/manifests/0.8.1")
    second = OCIClient(registry).request("GET", "/v2/plain/redis-lite/manifests/" + first.headers["docker-content-digest"])
    assert first.status == 200 and second.body == first.body
    assert json.loads(first.body)["config"]["mediaType"] == CONFIG


def test_root_repository_and_build_metadata_tags(registry, helm):
    uploaded = registry.curl("/api/charts", "--data-binary", "@" + packaged("webapp-1.1.1+hotfix.3.tgz"), cert="ci-pusher")
    assert uploaded.status == 201, uploaded
    assert registry.curl("/api/charts", "--data-binary", "@" + packaged("batch-jobs-3.0.0.tgz"), cert="ci-pusher").status == 201
    assert yaml.safe_load(helm_show(helm, registry, "batch-jobs:3.0.0").stdout)["version"] == "3.0.0"
    # Helm writes + as _ in tags (its show/pull take the version separately; this binding only takes a reference).
    manifest = OCIClient(registry).request("GET", "/v2/webapp/manifests/1.1.1_hotfix.3")
    assert manifest.status == 200 and manifest.json()["annotations"]["org.opencontainers.image.version"] == "1.1.1+hotfix.3"
    assert OCIClient(registry).request("GET", "/v2/webapp/tags/list").json() == {"name": "webapp", "tags": ["1.1.1_hotfix.3"]}


# --- Immutable versions, idempotent pushes ---------------------------------------------------------

def test_pushing_the_same_chart_twice_succeeds_and_other_bytes_are_refused(registry, helm, pgp, tmp_path):
    chart = make_chart(tmp_path, "signed", "1.0.0")
    open(chart + ".prov", "wb").write(pgp.prov(chart, "rsa-signer"))
    login(helm, registry)
    helm_push(helm, registry, chart)
    helm_push(helm, registry, chart)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = make_chart(other_dir, "signed", "1.0.0", marker="other")
    open(other + ".prov", "wb").write(pgp.prov(other, "rsa-signer"))
    refused = helm_push(helm, registry, other, check=False)
    assert refused.returncode != 0 and "denied" in refused.stderr.lower(), refused.stderr
    assert registry.curl("/stable/charts/signed-1.0.0.tgz").body == read(chart)
    events = registry.curl(registry.admin_url + "/api/admin/audit?repo=stable", cert="admin").json()
    outcomes = [event["outcome"] for event in events["events"] if event.get("subject") == "signed-1.0.0"]
    assert "unchanged" in outcomes and "active" in outcomes


def test_same_manifest_again_is_a_no_op_and_other_bytes_conflict(registry):
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    first, manifest = client.push_chart("plain/redis-lite", "0.8.1", chart)
    assert first.status == 201, first
    again = client.push_manifest("plain/redis-lite", "0.8.1", manifest)
    assert again.status == 201 and again.headers["docker-content-digest"] == digest_of(manifest)
    other = read(packaged("redis-lite-0.8.2.tgz"))
    # 0.8.2's bytes under tag 0.8.1: the tag must be the chart's version.
    mismatch, _ = client.push_chart("plain/redis-lite", "0.8.1", other)
    assert mismatch.status == 400 and mismatch.error_codes() == ["MANIFEST_INVALID"], mismatch


def test_chartmuseum_upload_of_identical_bytes_is_unchanged(registry, pgp, tmp_path):
    chart = make_chart(tmp_path, "signed", "1.0.0")
    prov = pgp.prov(chart, "rsa-signer")
    prov_path = chart + ".prov"
    open(prov_path, "wb").write(prov)
    args = ("-F", f"chart=@{chart}", "-F", f"prov=@{prov_path}")
    first = registry.curl("/api/stable/charts", *args, cert="ci-pusher")
    assert first.status == 201 and first.json() == {"saved": True}, first
    again = registry.curl("/api/stable/charts", *args, cert="ci-pusher")
    assert again.status == 201 and again.json() == {"saved": True, "unchanged": True}, again
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = make_chart(other_dir, "signed", "1.0.0", marker="other")
    open(other + ".prov", "wb").write(pgp.prov(other, "rsa-signer"))
    conflict = registry.curl("/api/stable/charts", "-F", f"chart=@{other}", "-F", f"prov=@{other}.prov", cert="ci-pusher")
    assert conflict.status == 409, conflict
    events = registry.curl(registry.admin_url + "/api/admin/audit?repo=stable&outcome=unchanged", cert="admin").json()
    assert [event["subject"] for event in events["events"]] == ["signed-1.0.0"]


# --- Both doors: delete and quarantine ----------------------------------------------------------------

def test_delete_and_quarantine_act_on_the_oci_door(registry, pgp, tmp_path):
    client = OCIClient(registry, cert="ci-pusher")
    chart = make_chart(tmp_path, "signed", "1.0.0")
    prov = pgp.prov(chart, "rsa-signer")
    pushed, _ = client.push_chart("stable/signed", "1.0.0", read(chart), prov)
    assert pushed.status == 201, pushed
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    distrust = registry.curl(registry.admin_url + f"/api/admin/repositories/stable/signers/{fingerprint}?quarantine=true",
                             "-X", "DELETE", cert="admin")
    assert distrust.status == 200 and [q["version"] for q in distrust.json()["quarantined"]] == ["1.0.0"], distrust
    quarantined = OCIClient(registry).request("GET", "/v2/stable/signed/manifests/1.0.0")
    assert quarantined.status == 403 and quarantined.error_codes() == ["DENIED"], quarantined
    assert "quarantined" in quarantined.json()["errors"][0]["message"]
    assert registry.curl("/stable/charts/signed-1.0.0.tgz").status == 403
    restored = registry.curl(registry.admin_url + "/api/admin/quarantine/stable/signed/1.0.0/restore", "-X", "POST",
                             cert="admin")
    assert restored.status == 200, restored
    assert OCIClient(registry).request("GET", "/v2/stable/signed/manifests/1.0.0").status == 200
    plain, _ = client.push_chart("plain/redis-lite", "0.8.1", read(packaged("redis-lite-0.8.1.tgz")))
    assert plain.status == 201
    assert registry.curl("/api/plain/charts/redis-lite/0.8.1", "-X", "DELETE", cert="admin").status == 200
    assert OCIClient(registry).request("GET", "/v2/plain/redis-lite/manifests/0.8.1").error_codes() == ["MANIFEST_UNKNOWN"]


def test_manifest_delete_by_digest_needs_delete_and_removes_both_doors(registry):
    client = OCIClient(registry, cert="ci-pusher")
    pushed, manifest = client.push_chart("plain/redis-lite", "0.8.1", read(packaged("redis-lite-0.8.1.tgz")))
    assert pushed.status == 201
    path = f"/v2/plain/redis-lite/manifests/{digest_of(manifest)}"
    assert client.request("DELETE", path).error_codes() == ["DENIED"]
    assert OCIClient(registry, cert="admin").request("DELETE", path).status == 202
    assert index_versions(registry, "plain", "redis-lite") == []
    assert OCIClient(registry).request("GET", path).status == 404


# --- Access: the same grants, unreadable answers like missing ------------------------------------------

def test_unreadable_repository_answers_like_a_missing_one(registry):
    OCIClient(registry, cert="ci-pusher").push_chart("private/redis-lite", "0.8.1", read(packaged("redis-lite-0.8.1.tgz")))
    assert OCIClient(registry, cert="reader").request("GET", "/v2/private/redis-lite/manifests/0.8.1").status == 200
    anonymous = OCIClient(registry).request("GET", "/v2/private/redis-lite/manifests/0.8.1")
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"] == 'Basic realm="chartwarden"'
    intruder = OCIClient(registry, cert="admin")  # authenticated, no grant on private
    hidden = intruder.request("GET", "/v2/private/redis-lite/manifests/0.8.1")
    missing = intruder.request("GET", "/v2/nosuchrepo/redis-lite/manifests/0.8.1")
    assert hidden.status == missing.status == 404 and hidden.body == missing.body
    for path in ("/v2/private/redis-lite/tags/list", "/v2/private/redis-lite/blobs/sha256:" + "0" * 64):
        assert intruder.request("GET", path).body == intruder.request("GET", path.replace("private", "nosuchrepo")).body
    denied = OCIClient(registry, cert="reader").request("POST", "/v2/private/redis-lite/blobs/uploads/")
    assert denied.status == 403 and denied.error_codes() == ["DENIED"]


def test_uploaded_blobs_are_invisible_to_readers_until_a_manifest_is_accepted(registry):
    writer = OCIClient(registry, cert="ci-pusher")
    blob = b"not yet accepted"
    assert writer.push_blob("plain/redis-lite", blob).status == 201
    path = f"/v2/plain/redis-lite/blobs/{digest_of(blob)}"
    assert writer.request("HEAD", path).status == 200
    assert OCIClient(registry).request("GET", path).error_codes() == ["BLOB_UNKNOWN"]
    assert writer.request("GET", f"/v2/plain/webapp/blobs/{digest_of(blob)}").status == 404


def test_a_restart_keeps_config_blobs_and_uploads_awaiting_their_manifest(server_factory, htpasswd, tmp_path):
    """The start-up sweep of orphan blobs (#16) spares what OCI rows reference: a manifest's config
    blob and a blob pushed before its manifest (`referencedBlobDigests`, both stores)."""
    data = tmp_path / "kept"
    registry = server_factory(oci_config(htpasswd), data_dir=data)
    uploaded = registry.curl("/api/plain/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    assert uploaded.status == 201, uploaded
    manifest = OCIClient(registry).request("GET", "/v2/plain/redis-lite/manifests/0.8.1")
    config = json.loads(manifest.body)["config"]["digest"]
    blob = b"pushed before its manifest"
    assert OCIClient(registry, cert="ci-pusher").push_blob("plain/redis-lite", blob).status == 201
    registry.stop()
    restarted = server_factory(oci_config(htpasswd), data_dir=data)
    restarted.wait_for_orphan_sweep()
    assert OCIClient(restarted).request("GET", f"/v2/plain/redis-lite/blobs/{config}").status == 200
    kept = OCIClient(restarted, cert="ci-pusher").request("HEAD", f"/v2/plain/redis-lite/blobs/{digest_of(blob)}")
    assert kept.status == 200, kept


# --- Blobs: chunks, digests, limits, ranges ---------------------------------------------------------------

def test_chunked_upload_and_range_reads(registry):
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    config = config_of(chart)
    for blob in (config,):
        assert client.push_blob_chunked("plain/redis-lite", blob, chunk=50).status == 201
    done = client.push_blob_chunked("plain/redis-lite", chart, chunk=1000)
    assert done.status == 201 and done.headers["docker-content-digest"] == digest_of(chart)
    manifest = client.manifest(chart, None, config)
    assert client.push_manifest("plain/redis-lite", "0.8.1", manifest).status == 201
    reader = OCIClient(registry)
    path = f"/v2/plain/redis-lite/blobs/{digest_of(chart)}"
    head = reader.request("HEAD", path)
    assert head.status == 200 and int(head.headers["content-length"]) == len(chart) and head.body == b""
    partial = reader.request("GET", path, headers={"Range": "bytes=10-19"})
    assert partial.status == 206 and partial.body == chart[10:20]
    assert partial.headers["content-range"] == f"bytes 10-19/{len(chart)}"
    assert reader.request("GET", path, headers={"Range": f"bytes={len(chart)}-"}).status == 416


def test_digest_mismatch_keeps_nothing(registry):
    client = OCIClient(registry, cert="ci-pusher")
    wrong = "sha256:" + "ab" * 32
    answer = client.request("POST", f"/v2/plain/redis-lite/blobs/uploads/?digest={wrong}", body=b"some bytes")
    assert answer.status == 400 and answer.error_codes() == ["DIGEST_INVALID"], answer
    assert client.request("HEAD", f"/v2/plain/redis-lite/blobs/{digest_of(b'some bytes')}").status == 404


def test_max_upload_bytes_applies_to_every_blob(registry):
    client = OCIClient(registry, cert="ci-pusher")
    big = b"x" * (2 * 1024 * 1024 + 1)
    answer = client.push_blob("plain/redis-lite", big)
    assert answer.status == 413 and answer.error_codes() == ["SIZE_INVALID"], answer
    assert client.request("HEAD", f"/v2/plain/redis-lite/blobs/{digest_of(big)}").status == 404


def test_upload_sessions_are_bounded_per_principal(registry):
    client = OCIClient(registry, cert="ci-pusher")
    opened = [client.request("POST", "/v2/plain/redis-lite/blobs/uploads/") for _ in range(16)]
    assert all(answer.status == 202 for answer in opened)
    refused = client.request("POST", "/v2/plain/redis-lite/blobs/uploads/")
    assert refused.status == 429 and refused.error_codes() == ["TOOMANYREQUESTS"], refused
    # Another principal is not affected; a cancelled session frees a place.
    assert OCIClient(registry, user=f"pusher:{PASSWORD}").request("POST", "/v2/plain/redis-lite/blobs/uploads/").status == 202
    assert client.request("DELETE", opened[0].headers["location"]).status == 204
    assert client.request("POST", "/v2/plain/redis-lite/blobs/uploads/").status == 202
    # Another principal cannot use (or probe) a session it did not open.
    other = OCIClient(registry, user=f"pusher:{PASSWORD}").request("PATCH", opened[1].headers["location"], body=b"x")
    assert other.status == 404 and other.error_codes() == ["BLOB_UPLOAD_UNKNOWN"]


# --- Only Helm charts -----------------------------------------------------------------------------------

def test_only_helm_chart_manifests_are_accepted(registry):
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    config = config_of(chart)
    for blob in (chart, config):
        assert client.push_blob("plain/redis-lite", blob).status == 201
    base = json.loads(client.manifest(chart, None, config))

    def put(document, content_type=MANIFEST):
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        return client.push_manifest("plain/redis-lite", "0.8.1", body, content_type=content_type)

    foreign = dict(base, config=dict(base["config"], mediaType="application/vnd.oci.image.config.v1+json"))
    answer = put(foreign)
    assert answer.error_codes() == ["UNSUPPORTED"] and "Helm" in answer.json()["errors"][0]["message"], answer
    assert put(base, content_type="application/vnd.oci.image.index.v1+json").error_codes() == ["UNSUPPORTED"]
    two_charts = dict(base, layers=base["layers"] * 2)
    answer = put(two_charts)
    assert answer.error_codes() == ["MANIFEST_INVALID"] and "exactly one" in answer.json()["errors"][0]["message"]
    other_layer = dict(base, layers=base["layers"] + [dict(base["layers"][0], mediaType="application/octet-stream")])
    assert put(other_layer).error_codes() == ["MANIFEST_INVALID"]
    duplicate_key = json.dumps(base).encode()[:-1] + b', "layers": []}'
    assert put(duplicate_key).error_codes() == ["MANIFEST_INVALID"]
    unknown_blob = dict(base, layers=[dict(base["layers"][0], digest="sha256:" + "1" * 64)])
    assert put(unknown_blob).error_codes() == ["MANIFEST_BLOB_UNKNOWN"]
    wrong_size = dict(base, layers=[dict(base["layers"][0], size=1)])
    assert put(wrong_size).error_codes() == ["MANIFEST_INVALID"]
    assert index_versions(registry, "plain", "redis-lite") == []
    assert put(base).status == 201


def test_tags_list_pages_with_n_last_and_link(registry):
    for name in ("webapp-1.0.0.tgz", "webapp-1.1.0.tgz", "webapp-1.2.0.tgz", "webapp-2.0.0-beta.2+build.7.tgz"):
        assert registry.curl("/api/plain/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher").status == 201
    client = OCIClient(registry)
    full = client.request("GET", "/v2/plain/webapp/tags/list").json()
    assert full == {"name": "plain/webapp", "tags": ["1.0.0", "1.1.0", "1.2.0", "2.0.0-beta.2_build.7"]}
    first = client.request("GET", "/v2/plain/webapp/tags/list?n=2")
    assert first.json()["tags"] == ["1.0.0", "1.1.0"]
    assert first.headers["link"] == '</v2/plain/webapp/tags/list?n=2&last=1.1.0>; rel="next"'
    second = client.request("GET", "/v2/plain/webapp/tags/list?n=2&last=1.1.0")
    assert second.json()["tags"] == ["1.2.0", "2.0.0-beta.2_build.7"] and "link" not in second.headers


# --- A second client: oras (PyPI) ----------------------------------------------------------------------

def oras_client(registry):
    import oras.client
    client = oras.client.OrasClient(hostname=f"localhost:{registry.port}", tls_verify=tls_file("ca.crt"),
                                    auth_backend="basic")
    client.auth.set_basic_auth("pusher", PASSWORD)
    return client


def test_oras_pushes_lists_and_pulls_a_signed_chart(registry, pgp, tmp_path):
    chart = make_chart(tmp_path, "signed", "1.0.0")
    open(chart + ".prov", "wb").write(pgp.prov(chart, "rsa-signer"))
    config_path = tmp_path / "config.json"
    config_path.write_bytes(config_of(read(chart)))
    client = oras_client(registry)
    target = f"localhost:{registry.port}/stable/signed:1.0.0"
    client.push(target=target, files=[f"{chart}:{CHART}", f"{chart}.prov:{PROV}"],
                manifest_config=f"{config_path}:{CONFIG}", disable_path_validation=True)
    assert index_versions(registry, "stable", "signed") == ["1.0.0"]
    assert client.get_tags(f"localhost:{registry.port}/stable/signed") == ["1.0.0"]
    pulled = client.pull(target=target, outdir=str(tmp_path / "pulled"))
    assert sorted(os.path.basename(path) for path in pulled) == ["signed-1.0.0.tgz", "signed-1.0.0.tgz.prov"]
    assert read(str(tmp_path / "pulled" / "signed-1.0.0.tgz")) == read(chart)


def test_oras_push_of_a_foreign_artifact_or_unsigned_chart_is_refused(registry, tmp_path):
    readme = tmp_path / "README.txt"
    readme.write_text("not a chart")
    client = oras_client(registry)
    with pytest.raises(Exception) as foreign:
        client.push(target=f"localhost:{registry.port}/plain/readme:1.0.0", files=[f"{readme}:text/plain"],
                    disable_path_validation=True)
    assert "Method Not Allowed" in str(foreign.value), foreign.value  # 405 UNSUPPORTED
    chart = make_chart(tmp_path, "signed", "1.0.0")
    config_path = tmp_path / "config.json"
    config_path.write_bytes(config_of(read(chart)))
    with pytest.raises(Exception) as unsigned:
        client.push(target=f"localhost:{registry.port}/stable/signed:1.0.0", files=[f"{chart}:{CHART}"],
                    manifest_config=f"{config_path}:{CONFIG}", disable_path_validation=True)
    assert "Forbidden" in str(unsigned.value), unsigned.value  # 403 DENIED
    assert index_versions(registry, "stable", "signed") == []
