"""OCI door hardening (issue 15, hostile review): a manifest PUT with an empty Content-Type, config
blobs that do not match the chart's Chart.yaml, re-pushes that would move a tag, unreferenced upload
quotas, and refused or quarantined chart bytes served by digest."""
import json
import os

import pytest

from conftest import PGP_KEYS, POSTGRES_URL, packaged, pgp_file
from oci_client import OCIClient, config_of, digest_of
from test_oci import htpasswd, make_chart, oci_config, read  # noqa: F401 (fixture)


@pytest.fixture
def registry(server_factory, htpasswd):  # noqa: F811
    return server_factory(oci_config(htpasswd))


def alive(registry):
    return registry.process.poll() is None and OCIClient(registry, cert="reader").request("GET", "/v2/").status == 200


# --- an empty Content-Type on a manifest PUT ------------------------------------------------------

@pytest.mark.parametrize("content_type", ["", ";", " ; charset=x"])
def test_empty_content_type_on_manifest_put_is_no_declared_type(registry, content_type):
    """`Content-Type: ` (or only parameters) once trapped on `split(";")[0]` and killed the server."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    config = config_of(chart)
    for blob in (chart, config):
        assert client.push_blob("plain/redis-lite", blob).status == 201
    try:
        answer = client.request("PUT", "/v2/plain/redis-lite/manifests/0.8.1", body=client.manifest(chart, None, config),
                                headers={"Content-Type": content_type})
    except OSError as error:  # the connection reset by a crashing server
        answer = error
    assert alive(registry), f"server died on Content-Type {content_type!r}: {answer!r}\n{registry.log()[-800:]}"
    assert answer.status == 201, answer


# --- the config blob is the chart's Chart.yaml -----------------------------------------------------

def test_first_push_config_must_match_chart_yaml(registry):
    """Helm reads the config as the chart's metadata on pull: a config that adds a dependency or
    changes appVersion is refused, and nothing is tagged."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    forged = json.loads(config_of(chart))
    forged.update({"description": "FORGED", "appVersion": "6.6.6",
                   "dependencies": [{"name": "x", "version": "1", "repository": "https://evil"}]})
    answer, _ = client.push_chart("plain/redis-lite", "0.8.1", chart, config=json.dumps(forged).encode())
    assert answer.status == 400 and answer.error_codes() == ["MANIFEST_INVALID"], answer
    message = answer.json()["errors"][0]["message"]
    assert "appVersion" in message and "dependencies" in message and "description" in message, message
    assert OCIClient(registry).request("GET", "/v2/plain/redis-lite/manifests/0.8.1").status == 404


def test_config_in_another_key_order_and_without_empty_fields_is_accepted(registry):
    """Helm's encoder orders keys its own way and omits empty fields: the same value is accepted."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    value = json.loads(config_of(chart))
    reordered = dict(reversed(list(value.items())))
    for field, empty in (("deprecated", False), ("tags", ""), ("condition", ""), ("sources", []), ("annotations", {})):
        reordered.setdefault(field, empty)
    answer, _ = client.push_chart("plain/redis-lite", "0.8.1", chart, config=json.dumps(reordered).encode())
    assert answer.status == 201, answer


def test_republishing_identical_chart_cannot_change_the_tag(registry):
    """Without allowOverwrite, a second push of the same chart bytes never moves the tag: a manifest
    that differs only in the creation time Helm stamps is accepted (and pullable by its digest),
    one with other annotations is refused like other bytes."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    first, manifest = client.push_chart("plain/redis-lite", "0.8.1", chart)
    assert first.status == 201, first
    again, later = client.push_chart("plain/redis-lite", "0.8.1", chart, created="2027-02-02T00:00:00Z")
    assert again.status == 201, again
    anonymous = OCIClient(registry)
    assert anonymous.request("GET", "/v2/plain/redis-lite/manifests/0.8.1").headers["docker-content-digest"] \
        == digest_of(manifest)
    assert anonymous.request("GET", f"/v2/plain/redis-lite/manifests/{digest_of(later)}").status == 200
    config = config_of(chart)
    forged = client.manifest(chart, None, config, annotations={"org.opencontainers.image.description": "FORGED"})
    refused = client.push_manifest("plain/redis-lite", "0.8.1", forged)
    assert refused.status == 409 and refused.error_codes() == ["DENIED"], refused
    tag = anonymous.request("GET", "/v2/plain/redis-lite/manifests/0.8.1")
    assert tag.headers["docker-content-digest"] == digest_of(manifest), tag
    assert anonymous.request("GET", f"/v2/plain/redis-lite/manifests/{digest_of(forged)}").status == 404


# --- quotas on uploaded blobs no manifest uses yet -------------------------------------------------

CHARGE = 64 * 1024  # what each pending blob counts at least (OCIRegistry.minimumBlobCharge)


def quota_config(htpasswd, per_principal, per_repository):
    base = oci_config(htpasswd)

    def mutate(config):
        base(config)
        config["server"]["ociPendingBytesPerPrincipal"] = per_principal
        config["server"]["ociPendingBytesPerRepository"] = per_repository
    return mutate


def test_unreferenced_uploads_are_capped_per_principal_and_per_repository(server_factory, htpasswd):  # noqa: F811
    """A writer cannot park blobs without end: past its own cap, or the repository's, an upload is
    DENIED and its bytes are not kept."""
    # Each blob counts at least 64 KiB (OCIRegistry.minimumBlobCharge): 6 and 8 blobs of 1000 bytes.
    registry = server_factory(quota_config(htpasswd, 6 * CHARGE, 8 * CHARGE))
    cert = OCIClient(registry, cert="ci-pusher")
    user = OCIClient(registry, user="pusher:oci-secret")
    blobs = [bytes([index]) * 1000 for index in range(10)]
    for blob in blobs[:6]:
        assert cert.push_blob("plain/redis-lite", blob).status == 201
    over = cert.push_blob("plain/redis-lite", blobs[6])
    assert over.status == 403 and over.error_codes() == ["DENIED"], over
    assert "quota" in over.json()["errors"][0]["message"]
    assert cert.request("HEAD", f"/v2/plain/redis-lite/blobs/{digest_of(blobs[6])}").status == 404
    # Another principal has its own allowance, until the repository's is spent.
    for blob in blobs[7:9]:
        assert user.push_blob("plain/redis-lite", blob).status == 201
    full = user.push_blob("plain/redis-lite", blobs[9])
    assert full.status == 403 and "repository plain" in full.json()["errors"][0]["message"], full
    # Other repositories are not held up by plain's.
    assert user.push_blob("stable/redis-lite", blobs[9]).status == 201
    assert alive(registry)


def test_a_decided_push_gives_its_uploads_quota_back(server_factory, htpasswd):  # noqa: F811
    registry = server_factory(quota_config(htpasswd, 3 * CHARGE, 1 << 20))
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    assert client.push_blob("plain/webapp", b"x" * 100).status == 201
    answer, _ = client.push_chart("plain/redis-lite", "0.8.1", chart)  # config and chart: the allowance is full
    assert answer.status == 201, answer
    # The chart and config now count as the version's, not as pending uploads.
    assert client.push_blob("plain/webapp", b"y" * 100).status == 201


def test_tiny_pending_blobs_are_bounded_in_number(server_factory, htpasswd):  # noqa: F811
    """Review F3 (oci4): each pending blob counts at least 64 KiB against the quotas, so a writer cannot
    make millions of files and rows of 4-byte blobs within a byte quota."""
    import os
    registry = server_factory(quota_config(htpasswd, 10 * CHARGE, 1 << 30))
    client = OCIClient(registry, cert="ci-pusher")
    accepted = [client.push_blob("plain/redis-lite", os.urandom(4)).status for _ in range(12)]
    assert accepted == [201] * 10 + [403] * 2, accepted


# --- refused, quarantined and other writers' bytes are not served by digest ------------------------

def test_refused_chart_bytes_are_not_served_after_a_denied_push(registry):
    """After the content policy refuses a push, its chart layer is not downloadable over /v2/, even
    by the writer who pushed it."""
    import os
    from conftest import TOP
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(os.path.join(TOP, "charts-fixtures", "policy", "cluster-admin-grab-1.0.0.tgz"))
    answer, _ = client.push_chart("plain/cluster-admin-grab", "1.0.0", chart)
    assert answer.status == 403, answer
    fetched = client.request("GET", f"/v2/plain/cluster-admin-grab/blobs/{digest_of(chart)}")
    assert fetched.status == 404, f"refused chart still served: {fetched.status} {len(fetched.body)} bytes"


def test_quarantined_blobs_are_not_pullable_by_digest(registry, pgp, tmp_path):
    client = OCIClient(registry, cert="ci-pusher")
    chart = make_chart(tmp_path, "signed", "1.0.0")
    pushed, _ = client.push_chart("stable/signed", "1.0.0", read(chart), pgp.prov(chart, "rsa-signer"))
    assert pushed.status == 201, pushed
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    assert registry.curl(registry.admin_url + f"/api/admin/repositories/stable/signers/{fingerprint}?quarantine=true",
                         "-X", "DELETE", cert="admin").status == 200
    for caller in (OCIClient(registry), client):
        assert caller.request("GET", f"/v2/stable/signed/blobs/{digest_of(read(chart))}").status == 404


def test_pending_uploads_are_visible_only_to_their_uploader(registry):
    uploader = OCIClient(registry, cert="ci-pusher")
    other_writer = OCIClient(registry, user="pusher:oci-secret")
    blob = b"pending bytes"
    assert uploader.push_blob("plain/redis-lite", blob).status == 201
    assert uploader.request("HEAD", f"/v2/plain/redis-lite/blobs/{digest_of(blob)}").status == 200
    assert other_writer.request("GET", f"/v2/plain/redis-lite/blobs/{digest_of(blob)}").status == 404


# --- spec details: ranges and chunks ---------------------------------------------------------------

def test_unsatisfiable_or_signed_ranges_are_416_range_invalid(registry):
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    answer, _ = client.push_chart("plain/redis-lite", "0.8.1", chart)
    assert answer.status == 201, answer
    for header in (f"bytes={len(chart)}-", "bytes=+0-1", "bytes=0-+1", "bytes=-+1"):
        ranged = client.request("GET", f"/v2/plain/redis-lite/blobs/{digest_of(chart)}", headers={"Range": header})
        assert ranged.status == 416 and ranged.error_codes() == ["RANGE_INVALID"], (header, ranged)
    assert client.request("GET", f"/v2/plain/redis-lite/blobs/{digest_of(chart)}",
                          headers={"Range": "bytes=0-1"}).status == 206


def test_a_chunk_that_does_not_fit_is_416_and_the_session_stays_open(registry):
    """Out of order, a Content-Range whose length is not the body's, or a signed number: 416
    RANGE_INVALID, and the client can ask where the upload is and resume."""
    client = OCIClient(registry, cert="ci-pusher")
    blob = b"0123456789"
    started = client.request("POST", "/v2/plain/redis-lite/blobs/uploads/")
    location = started.headers["location"]
    assert client.request("PATCH", location, body=blob[:4], headers={"Content-Range": "0-3"}).status == 202
    for header, body in (("5-8", blob[5:9]), ("4-9", blob[4:7]), ("+4-6", blob[4:7]), ("4-+6", blob[4:7]),
                         ("4-9223372036854775807", blob[4:7])):
        answer = client.request("PATCH", location, body=body, headers={"Content-Range": header})
        assert answer.status == 416 and answer.error_codes() == ["RANGE_INVALID"], (header, answer)
        status = client.request("GET", location)
        assert status.status == 204 and status.headers["range"] == "0-3", (header, status)
    assert client.request("PATCH", location, body=blob[4:], headers={"Content-Range": "4-9"}).status == 202
    assert client.request("PUT", f"{location}?digest={digest_of(blob)}").status == 201


# --- manifest rows live and die with their version (issue 15, one store two doors) ---------------

def manifest_rows(registry, name):
    import sqlite3
    database = sqlite3.connect(os.path.join(registry.config["storage"]["dataDir"], "chartwarden.sqlite"))
    try:
        return database.execute("SELECT version, generated FROM oci_manifests WHERE name = ? ORDER BY id", (name,)).fetchall()
    finally:
        database.close()


@pytest.mark.skipif(POSTGRES_URL is not None, reason="reads the SQLite file (OCIStoreTests covers both stores)")
def test_a_chartmuseum_upload_stores_its_manifest_with_the_version_and_a_delete_removes_it(registry):
    """The generated manifest is committed with the chart row (no OCI pull needed to create it); deleting
    the version removes its manifest rows, so no tag outlives it."""
    uploaded = registry.curl("/api/plain/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    assert uploaded.status == 201, uploaded
    assert manifest_rows(registry, "redis-lite") == [("0.8.1", 1)]
    assert registry.curl("/api/plain/charts/redis-lite/0.8.1", "-X", "DELETE", cert="admin").status == 200
    assert manifest_rows(registry, "redis-lite") == []
    pushed, _ = OCIClient(registry, cert="ci-pusher").push_chart("plain/redis-lite", "0.8.1", read(packaged("redis-lite-0.8.1.tgz")))
    assert pushed.status == 201, pushed
    assert manifest_rows(registry, "redis-lite") == [("0.8.1", 0)]


def test_a_quarantined_version_is_deleted_alike_on_both_doors(registry, pgp, tmp_path):
    """Deleting needs `delete` on both doors, and a global admin (who holds it here) deletes a quarantined
    version on both: afterwards it is missing (404 / MANIFEST_UNKNOWN), no longer withheld (403 / DENIED)."""
    client = OCIClient(registry, cert="ci-pusher")
    for version in ("1.0.0", "1.1.0"):
        chart = make_chart(tmp_path, "signed", version)
        pushed, _ = client.push_chart("stable/signed", version, read(chart), pgp.prov(chart, "rsa-signer"))
        assert pushed.status == 201, pushed
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    distrust = registry.curl(registry.admin_url + f"/api/admin/repositories/stable/signers/{fingerprint}?quarantine=true",
                             "-X", "DELETE", cert="admin")
    assert distrust.status == 200, distrust
    anonymous = OCIClient(registry)
    assert anonymous.request("GET", "/v2/stable/signed/manifests/1.0.0").error_codes() == ["DENIED"]
    assert client.request("DELETE", "/v2/stable/signed/manifests/1.0.0").error_codes() == ["DENIED"]  # no delete grant
    assert registry.curl("/api/stable/charts/signed/1.1.0", "-X", "DELETE", cert="ci-pusher").status == 403
    assert OCIClient(registry, cert="admin").request("DELETE", "/v2/stable/signed/manifests/1.0.0").status == 202
    assert registry.curl("/api/stable/charts/signed/1.1.0", "-X", "DELETE", cert="admin").status == 200
    for version in ("1.0.0", "1.1.0"):
        assert anonymous.request("GET", f"/v2/stable/signed/manifests/{version}").error_codes() == ["MANIFEST_UNKNOWN"]
        assert registry.curl(f"/stable/charts/signed-{version}.tgz").status == 404
        assert registry.curl(f"/stable/charts/signed-{version}.tgz.prov").status == 404
    assert OCIClient(registry, cert="admin").request("DELETE", "/v2/stable/signed/manifests/1.0.0").error_codes() \
        == ["MANIFEST_UNKNOWN"]


# --- review oci4: re-pushes of one version are bounded ----------------------------------------------

def test_repushes_of_one_version_keep_the_tag_and_only_the_newest_joined_manifest(registry):
    """Review F1 (oci4): Helm stamps a new creation time on every push; re-pushes of the same chart are
    201 and the tag keeps its manifest, but the version keeps only the newest re-push besides it, and a
    `created` that is no timestamp (padding) is refused."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    first, tagged = client.push_chart("plain/redis-lite", "0.8.1", chart)
    assert first.status == 201, first
    pushed = []
    for second in range(5):
        answer, manifest = client.push_chart("plain/redis-lite", "0.8.1", chart, created=f"2027-01-01T00:00:0{second}Z")
        assert answer.status == 201, answer
        pushed.append(manifest)
    anonymous = OCIClient(registry)
    assert anonymous.request("GET", "/v2/plain/redis-lite/manifests/0.8.1").body == tagged
    assert anonymous.request("GET", f"/v2/plain/redis-lite/manifests/{digest_of(pushed[-1])}").body == pushed[-1]
    for old in pushed[:-1]:
        assert anonymous.request("GET", f"/v2/plain/redis-lite/manifests/{digest_of(old)}").status == 404
    padded, _ = client.push_chart("plain/redis-lite", "0.8.1", chart, created="2027-01-01T00:00:00Z" + " " * 60_000)
    assert padded.status == 400 and padded.error_codes() == ["MANIFEST_INVALID"], padded
    assert "org.opencontainers.image.created" in padded.json()["errors"][0]["message"]


def test_a_referrer_added_by_a_repush_is_listed_at_once(registry):
    """Referrers are read once per index generation; a re-push that adds a manifest without changing the
    index (here a subject on a chart uploaded through the ChartMuseum API) is listed at once."""
    uploaded = registry.curl("/api/plain/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    assert uploaded.status == 201, uploaded
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "e" * 64, "size": 9}
    path = f"/v2/plain/redis-lite/referrers/{subject['digest']}"
    anonymous = OCIClient(registry)
    for _ in range(2):
        assert anonymous.request("GET", path).json()["manifests"] == []
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    config = config_of(chart)
    for blob in (config, chart):
        assert client.push_blob("plain/redis-lite", blob).status == 201
    referrer = client.manifest(chart, None, config, subject=subject)
    answer = client.push_manifest("plain/redis-lite", "0.8.1", referrer)
    assert answer.status == 201 and answer.headers["oci-subject"] == subject["digest"], answer
    assert [entry["digest"] for entry in anonymous.request("GET", path).json()["manifests"]] == [digest_of(referrer)]


# --- review oci4 F5/F6 --------------------------------------------------------------------------------

def test_only_a_global_admin_deletes_a_quarantined_version(server_factory, htpasswd, pgp, tmp_path):  # noqa: F811
    """Review F5 (oci4): a repository's delete holder may not delete a quarantined version (on either
    door): delete and re-upload of the same bytes would overrule the quarantine, which only a global
    admin may restore."""
    def mutate(config):
        oci_config(htpasswd)(config)
        config["repositories"].append({"name": "team", "read": ["anonymous"], "write": ["group:ci"],
                                       "delete": ["cert:ci-pusher", "group:admins"],
                                       "provenance": {"mode": "warn", "trustedKeys": [pgp_file("rsa-signer.pub.asc")]}})
    registry = server_factory(mutate)
    client = OCIClient(registry, cert="ci-pusher")
    for version in ("1.0.0", "1.1.0"):
        chart = make_chart(tmp_path, "signed", version)
        assert client.push_chart("team/signed", version, read(chart), pgp.prov(chart, "rsa-signer"))[0].status == 201
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    distrust = registry.curl(registry.admin_url + f"/api/admin/repositories/team/signers/{fingerprint}?quarantine=true",
                             "-X", "DELETE", cert="admin")
    assert distrust.status == 200, distrust
    classic = registry.curl("/api/team/charts/signed/1.0.0", "-X", "DELETE", cert="ci-pusher")
    assert classic.status == 403 and "global admin" in classic.json()["error"], classic
    over_oci = client.request("DELETE", "/v2/team/signed/manifests/1.1.0")
    assert over_oci.status == 403 and over_oci.error_codes() == ["DENIED"], over_oci
    for version in ("1.0.0", "1.1.0"):
        assert registry.curl(f"/team/charts/signed-{version}.tgz").status == 403
        assert OCIClient(registry).request("GET", f"/v2/team/signed/manifests/{version}").error_codes() == ["DENIED"]
    # The global admin may (it is the quarantine's judge).
    assert registry.curl("/api/team/charts/signed/1.0.0", "-X", "DELETE", cert="admin").status == 200


def test_config_keys_spelled_otherwise_than_chart_yaml_are_refused(registry):
    """Review F6 (oci4): Go reads JSON keys case-insensitively (last wins): `"Deprecated": false` beside
    `"deprecated": true` would hide what Chart.yaml says from Helm's config readers."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    for extra in ({"Name": ""}, {"Deprecated": False}, {"KubeVersion": ""}, {"\u017fources": []}, {"Dependencies": []}):
        forged = dict(json.loads(config_of(chart)), **extra)
        answer, _ = client.push_chart("plain/redis-lite", "0.8.1", chart, config=json.dumps(forged).encode())
        assert answer.status == 400 and answer.error_codes() == ["MANIFEST_INVALID"], (extra, answer)
        assert list(extra)[0] in answer.json()["errors"][0]["message"], answer
    assert client.push_chart("plain/redis-lite", "0.8.1", chart)[0].status == 201
