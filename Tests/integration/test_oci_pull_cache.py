"""OCI pulls from memory (issue 15, pull throughput): once the router resolved a manifest or a blob,
the next anonymous GET/HEAD of it is answered by the event-loop fast path from `OCIPullCache` with
the router's own headers. Every change of the version on either door (quarantine, restore,
delete, overwrite) must be seen at once, and the cache must never let a caller skip a grant."""
import json

import pytest

from conftest import PGP_KEYS, packaged
from oci_client import OCIClient, digest_of
from test_oci import htpasswd, make_chart, oci_config, read  # noqa: F401 (fixture)


@pytest.fixture
def registry(server_factory, htpasswd):  # noqa: F811
    return server_factory(oci_config(htpasswd))


def fast_answers(registry, path):
    """The access-log lines of `path` answered by the fast path."""
    return [line for line in registry.log().splitlines() if path in line and "fast" in line and "path_kind" in line]


def comparable(headers):
    return {name: value for name, value in headers.items() if name not in ("date", "x-request-id")}


def test_a_second_pull_is_answered_from_memory_with_the_routers_headers(registry):
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    pushed, manifest = client.push_chart("plain/redis-lite", "0.8.1", chart)
    assert pushed.status == 201, pushed
    anonymous = OCIClient(registry)
    paths = ["/v2/plain/redis-lite/manifests/0.8.1", f"/v2/plain/redis-lite/manifests/{digest_of(manifest)}",
             f"/v2/plain/redis-lite/blobs/{digest_of(chart)}"]
    for path in paths:
        for method in ("GET", "HEAD"):
            first = anonymous.request(method, path)
            assert first.status == 200, (method, path, first)
            second = anonymous.request(method, path)
            assert second.status == 200 and second.body == first.body, (method, path, second)
            assert comparable(second.headers) == comparable(first.headers), (method, path)
        assert fast_answers(registry, path), f"{path} was never answered by the fast path:\n{registry.log()[-1500:]}"
    assert anonymous.request("GET", paths[0]).body == manifest
    assert anonymous.request("GET", paths[2]).body == chart


def test_quarantine_restore_and_delete_after_cached_pulls(registry, pgp, tmp_path):
    client = OCIClient(registry, cert="ci-pusher")
    chart_path = make_chart(tmp_path, "signed", "1.0.0")
    chart, prov = read(chart_path), pgp.prov(chart_path, "rsa-signer")
    pushed, manifest = client.push_chart("stable/signed", "1.0.0", chart, prov)
    assert pushed.status == 201, pushed
    anonymous = OCIClient(registry)
    tag, by_digest = "/v2/stable/signed/manifests/1.0.0", f"/v2/stable/signed/manifests/{digest_of(manifest)}"
    blobs = [f"/v2/stable/signed/blobs/{digest_of(layer)}" for layer in (chart, prov)]
    for path in [tag, by_digest] + blobs:
        for _ in range(2):
            assert anonymous.request("GET", path).status == 200, path
            assert anonymous.request("HEAD", path).status == 200, path
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    distrust = registry.curl(registry.admin_url + f"/api/admin/repositories/stable/signers/{fingerprint}?quarantine=true",
                             "-X", "DELETE", cert="admin")
    assert distrust.status == 200, distrust
    for path in (tag, by_digest):
        for method in ("GET", "HEAD"):
            denied = anonymous.request(method, path)
            assert denied.status == 403, (method, path, denied)
        assert anonymous.request("GET", path).error_codes() == ["DENIED"]
    for path in blobs:
        for method in ("GET", "HEAD"):
            assert anonymous.request(method, path).status == 404, (method, path)
    restored = registry.curl(registry.admin_url + "/api/admin/quarantine/stable/signed/1.0.0/restore", "-X", "POST",
                             cert="admin")
    assert restored.status == 200, restored
    for path in [tag, by_digest] + blobs:
        assert anonymous.request("GET", path).status == 200, path
    assert registry.curl("/api/stable/charts/signed/1.0.0", "-X", "DELETE", cert="admin").status == 200
    for path in (tag, by_digest):
        assert anonymous.request("GET", path).error_codes() == ["MANIFEST_UNKNOWN"], path
    for path in blobs:
        assert anonymous.request("GET", path).error_codes() == ["BLOB_UNKNOWN"], path
        assert anonymous.request("HEAD", path).status == 404, path


def test_an_overwrite_is_pulled_at_once(registry, tmp_path):
    """The root repository allows overwrites: the tag must name the new manifest right after the push."""
    client = OCIClient(registry, cert="ci-pusher")
    anonymous = OCIClient(registry)
    first, manifest = client.push_chart("webapp", "1.0.0", read(make_chart(tmp_path, "webapp", "1.0.0", "one")))
    assert first.status == 201, first
    for _ in range(2):
        assert anonymous.request("GET", "/v2/webapp/manifests/1.0.0").body == manifest
    other = tmp_path / "other"
    other.mkdir()
    second, replacement = client.push_chart("webapp", "1.0.0", read(make_chart(other, "webapp", "1.0.0", "two")))
    assert second.status == 201, second
    assert replacement != manifest
    assert anonymous.request("GET", "/v2/webapp/manifests/1.0.0").body == replacement


def test_a_cached_pull_of_a_private_repository_grants_nothing(registry):
    """A reader's pull fills the cache; anonymous and ungranted callers still get the router's answers."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    pushed, manifest = client.push_chart("private/redis-lite", "0.8.1", chart)
    assert pushed.status == 201, pushed
    reader = OCIClient(registry, cert="reader")
    paths = ["/v2/private/redis-lite/manifests/0.8.1", f"/v2/private/redis-lite/blobs/{digest_of(chart)}"]
    for path in paths:
        for _ in range(2):
            assert reader.request("GET", path).status == 200, path
    anonymous, intruder = OCIClient(registry), OCIClient(registry, cert="admin")
    for path in paths:
        for method in ("GET", "HEAD"):
            hidden = anonymous.request(method, path)
            assert hidden.status == 401, (method, path, hidden)
            assert hidden.headers["www-authenticate"] == 'Basic realm="chartwarden"'
        unreadable = intruder.request("GET", path)
        missing = intruder.request("GET", path.replace("private", "nosuchrepo"))
        assert unreadable.status == missing.status == 404 and unreadable.body == missing.body, path
        assert not fast_answers(registry, path)


def test_ranges_and_pending_uploads_still_go_to_the_router(registry):
    """A ranged read of a cached blob is 206; a blob only uploaded (no manifest yet) stays invisible to
    readers even after its uploader fetched it."""
    client = OCIClient(registry, cert="ci-pusher")
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    assert client.push_chart("plain/redis-lite", "0.8.1", chart)[0].status == 201
    anonymous = OCIClient(registry)
    path = f"/v2/plain/redis-lite/blobs/{digest_of(chart)}"
    for _ in range(2):
        assert anonymous.request("GET", path).status == 200
    partial = anonymous.request("GET", path, headers={"Range": "bytes=5-14"})
    assert partial.status == 206 and partial.body == chart[5:15], partial
    pending = json.dumps({"pending": True}).encode()
    assert client.push_blob("plain/redis-lite", pending).status == 201
    pending_path = f"/v2/plain/redis-lite/blobs/{digest_of(pending)}"
    for _ in range(2):
        assert client.request("GET", pending_path).status == 200
    assert anonymous.request("GET", pending_path).error_codes() == ["BLOB_UNKNOWN"]
    assert anonymous.request("HEAD", pending_path).status == 404


def test_a_delete_on_another_replica_reaches_cached_pulls(server_factory, postgres_server, tmp_path):
    """Two replicas on one PostgreSQL database: B answered a pull from memory; after A deletes the
    version, B stops serving it within its cache age (2 s; polled under a liveness bound, not timed)."""
    import time

    def on_shared(config):
        config["storage"]["postgres"] = postgres_server.storage_for("shared")
        config["repositories"] = [{"name": "plain", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"]}]

    a, b = (server_factory(on_shared, data_dir=tmp_path / name) for name in ("a", "b"))
    chart = read(packaged("redis-lite-0.8.1.tgz"))
    assert OCIClient(a, cert="ci-pusher").push_chart("plain/redis-lite", "0.8.1", chart)[0].status == 201
    path = "/v2/plain/redis-lite/manifests/0.8.1"
    for _ in range(3):
        assert OCIClient(b).request("GET", path).status == 200
    assert a.curl("/api/plain/charts/redis-lite/0.8.1", "-X", "DELETE", cert="admin").status == 200
    deadline = time.monotonic() + 30  # liveness guard: the server's bound is 2 s
    while (answer := OCIClient(b).request("GET", path)).status == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answer.status == 404 and answer.error_codes() == ["MANIFEST_UNKNOWN"], answer
