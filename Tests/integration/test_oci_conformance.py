"""Conformance with the OCI distribution-spec (opencontainers/distribution-spec spec.md, and the
checks of its conformance/ suite) for the four categories — pull, push, content discovery and
content management — on Helm chart artifacts, the only content ChartWarden accepts. Where the
spec leaves a choice (a MAY), the test names the one ChartWarden makes."""
import json
import re

import pytest

from conftest import packaged
from oci_client import CHART, CONFIG, MANIFEST, OCIClient, config_of, digest_of

REPO = "plain/redis-lite"


def config(config_dict):
    common = {"read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"]}
    config_dict["repositories"] = [{"name": "plain", **common}, {"name": "", **common}]


@pytest.fixture
def registry(server_factory):
    return server_factory(config)


@pytest.fixture
def writer(registry):
    return OCIClient(registry, cert="ci-pusher")


def read(name):
    return open(packaged(name), "rb").read()


@pytest.fixture
def pushed(writer):
    """redis-lite 0.8.1 pushed as a Helm chart: (chart, config, manifest bytes)."""
    chart = read("redis-lite-0.8.1.tgz")
    answer, manifest = writer.push_chart(REPO, "0.8.1", chart)
    assert answer.status == 201, answer
    return chart, config_of(chart), manifest


def assert_error(answer, status, code):
    assert answer.status == status, answer
    body = answer.json()
    assert isinstance(body["errors"], list) and body["errors"], body
    entry = body["errors"][0]
    assert entry["code"] == code and isinstance(entry["message"], str), body


# --- Pull (spec: "Pulling manifests", "Pulling blobs") ------------------------------------------------

def test_pull_manifest_by_tag_and_digest(registry, pushed):
    _, _, manifest = pushed
    client = OCIClient(registry)
    by_tag = client.request("GET", f"/v2/{REPO}/manifests/0.8.1", headers={"Accept": MANIFEST})
    assert by_tag.status == 200 and by_tag.body == manifest
    assert by_tag.headers["content-type"] == MANIFEST
    assert by_tag.headers["docker-content-digest"] == digest_of(manifest)
    by_digest = client.request("GET", f"/v2/{REPO}/manifests/{digest_of(manifest)}")
    assert by_digest.status == 200 and by_digest.body == manifest


def test_head_manifest_and_blob_carry_length_and_digest_without_body(registry, pushed):
    chart, _, manifest = pushed
    client = OCIClient(registry)
    head = client.request("HEAD", f"/v2/{REPO}/manifests/0.8.1")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) == len(manifest)
    assert head.headers["docker-content-digest"] == digest_of(manifest)
    blob = client.request("HEAD", f"/v2/{REPO}/blobs/{digest_of(chart)}")
    assert blob.status == 200 and int(blob.headers["content-length"]) == len(chart)


def test_pull_blobs_whole_and_by_range(registry, pushed):
    chart, config_bytes, _ = pushed
    client = OCIClient(registry)
    assert client.request("GET", f"/v2/{REPO}/blobs/{digest_of(chart)}").body == chart
    assert client.request("GET", f"/v2/{REPO}/blobs/{digest_of(config_bytes)}").body == config_bytes
    tail = client.request("GET", f"/v2/{REPO}/blobs/{digest_of(chart)}", headers={"Range": "bytes=-16"})
    assert tail.status == 206 and tail.body == chart[-16:]
    rest = client.request("GET", f"/v2/{REPO}/blobs/{digest_of(chart)}", headers={"Range": "bytes=100-"})
    assert rest.status == 206 and rest.body == chart[100:]


def test_pull_missing_content_is_404_with_spec_codes(registry, pushed):
    client = OCIClient(registry)
    assert_error(client.request("GET", f"/v2/{REPO}/manifests/9.9.9"), 404, "MANIFEST_UNKNOWN")
    assert_error(client.request("GET", f"/v2/{REPO}/manifests/sha256:{'0' * 64}"), 404, "MANIFEST_UNKNOWN")
    assert_error(client.request("GET", f"/v2/{REPO}/blobs/sha256:{'0' * 64}"), 404, "BLOB_UNKNOWN")
    # conformance "invalid-digest-format": 400 or 404.
    assert client.request("GET", f"/v2/{REPO}/manifests/sha256:baddigeststring").status in (400, 404)
    # An unknown repository: NAME_UNKNOWN for a caller who is known (without credentials, 401 as anywhere).
    assert_error(OCIClient(registry, cert="ci-pusher").request("GET", "/v2/nosuchrepo/x/manifests/1.0.0"), 404,
                 "NAME_UNKNOWN")
    assert_error(client.request("GET", "/v2/nosuchrepo/x/manifests/1.0.0"), 401, "UNAUTHORIZED")


# --- Push (spec: "Pushing blobs", "Pushing manifests") -------------------------------------------------

def test_push_blob_post_then_put(registry, writer):
    data = b"post then put"
    started = writer.request("POST", f"/v2/{REPO}/blobs/uploads/")
    assert started.status == 202 and started.headers["location"].startswith(f"/v2/{REPO}/blobs/uploads/")
    done = writer.request("PUT", f"{started.headers['location']}?digest={digest_of(data)}", body=data,
                          headers={"Content-Type": "application/octet-stream"})
    assert done.status == 201 and done.headers["location"] == f"/v2/{REPO}/blobs/{digest_of(data)}"
    assert done.headers["docker-content-digest"] == digest_of(data)
    assert writer.request("GET", done.headers["location"]).body == data


def test_push_blob_monolithic_post(registry, writer):
    data = b"one request"
    done = writer.push_blob(REPO, data)
    assert done.status == 201 and done.headers["location"] == f"/v2/{REPO}/blobs/{digest_of(data)}"


def test_push_blob_in_chunks_with_put_of_the_last_chunk(registry, writer):
    data = bytes(range(256)) * 3
    started = writer.request("POST", f"/v2/{REPO}/blobs/uploads/")
    location = started.headers["location"]
    first = writer.request("PATCH", location, body=data[:300], headers={"Content-Range": "0-299",
                                                                        "Content-Type": "application/octet-stream"})
    assert first.status == 202 and first.headers["range"] == "0-299"
    status = writer.request("GET", first.headers["location"])
    assert status.status == 204 and status.headers["range"] == "0-299"
    done = writer.request("PUT", f"{first.headers['location']}?digest={digest_of(data)}", body=data[300:])
    assert done.status == 201, done
    assert writer.request("GET", f"/v2/{REPO}/blobs/{digest_of(data)}").body == data


def test_out_of_order_chunk_is_416_and_a_bad_digest_is_refused(registry, writer):
    started = writer.request("POST", f"/v2/{REPO}/blobs/uploads/")
    location = started.headers["location"]
    assert writer.request("PATCH", location, body=b"abc", headers={"Content-Range": "0-2"}).status == 202
    assert writer.request("PATCH", location, body=b"xyz", headers={"Content-Range": "10-12"}).status == 416
    fresh = writer.request("POST", f"/v2/{REPO}/blobs/uploads/")
    assert_error(writer.request("PUT", f"{fresh.headers['location']}?digest=sha256:{'2' * 64}", body=b"other"),
                 400, "DIGEST_INVALID")


def test_cross_repository_mount_falls_back_to_an_upload_session(registry, writer, pushed):
    chart, _, _ = pushed
    mounted = writer.request("POST", f"/v2/webapp/blobs/uploads/?mount={digest_of(chart)}&from={REPO}")
    # The spec lets a registry answer 202 with a session instead of mounting.
    assert mounted.status == 202 and "/blobs/uploads/" in mounted.headers["location"]


def test_push_manifest_by_tag_and_by_digest(registry, writer):
    chart = read("webapp-1.0.0.tgz")
    config_bytes = config_of(chart)
    for blob in (chart, config_bytes):
        assert writer.push_blob("webapp", blob).status == 201
    manifest = OCIClient.manifest(chart, None, config_bytes)
    by_digest = writer.push_manifest("webapp", digest_of(manifest), manifest)
    assert by_digest.status == 201 and by_digest.headers["location"] == f"/v2/webapp/manifests/{digest_of(manifest)}"
    assert by_digest.headers["docker-content-digest"] == digest_of(manifest)
    # Tags are chart versions: a chart pushed by digest is tagged with its version.
    assert OCIClient(registry).request("GET", "/v2/webapp/manifests/1.0.0").body == manifest
    assert_error(writer.push_manifest("webapp", "sha256:baddigeststring", manifest), 400, "MANIFEST_INVALID")
    assert_error(writer.push_manifest("webapp", f"sha256:{'3' * 64}", manifest), 400, "DIGEST_INVALID")


def test_push_manifest_whose_blobs_are_missing_is_refused(registry, writer):
    chart = read("webapp-1.1.0.tgz")
    manifest = OCIClient.manifest(chart, None, config_of(chart))
    assert_error(writer.push_manifest("webapp", "1.1.0", manifest), 400, "MANIFEST_BLOB_UNKNOWN")


# --- Content discovery (spec: "Listing Tags", "Listing Referrers") ---------------------------------------

def test_tags_list_and_pagination(registry, writer):
    for name in ("webapp-1.0.0.tgz", "webapp-1.1.0.tgz", "webapp-1.2.0.tgz"):
        chart = read(name)
        answer, _ = writer.push_chart("webapp", name[len("webapp-"):-len(".tgz")], chart)
        assert answer.status == 201, answer
    client = OCIClient(registry)
    listing = client.request("GET", "/v2/webapp/tags/list")
    assert listing.status == 200 and listing.json() == {"name": "webapp", "tags": ["1.0.0", "1.1.0", "1.2.0"]}
    page = client.request("GET", "/v2/webapp/tags/list?n=1")
    assert page.json()["tags"] == ["1.0.0"]
    link = re.match(r'<([^>]+)>; rel="next"', page.headers["link"])
    following = client.request("GET", link.group(1))
    assert following.json()["tags"] == ["1.1.0"]
    assert client.request("GET", "/v2/webapp/tags/list?last=1.0.0").json()["tags"] == ["1.1.0", "1.2.0"]
    assert client.request("GET", "/v2/webapp/tags/list?n=0").json()["tags"] == []


def test_referrers_answer_an_empty_index(registry, pushed):
    _, _, manifest = pushed
    answer = OCIClient(registry).request("GET", f"/v2/{REPO}/referrers/{digest_of(manifest)}")
    assert answer.status == 200 and answer.headers["content-type"] == "application/vnd.oci.image.index.v1+json"
    assert answer.json() == {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    assert "oci-filters-applied" not in answer.headers


def test_referrers_list_the_chart_manifests_with_that_subject(registry, writer, pushed, tmp_path):
    """Spec "Listing Referrers": a Helm chart manifest may name a `subject` (ChartWarden accepts it,
    README "OCI"); the manifest PUT answers `OCI-Subject`, and the referrers index lists the
    manifest's descriptor with its artifact type (the Helm config type) and annotations, filtered
    by `artifactType` with `OCI-Filters-Applied`. A deleted referrer is no longer listed."""
    from test_oci import make_chart
    _, _, subject = pushed
    chart = open(make_chart(tmp_path, "redis-lite", "0.9.0"), "rb").read()
    config = config_of(chart)
    for blob in (chart, config):
        assert writer.push_blob(REPO, blob).status == 201
    referrer = writer.manifest(chart, None, config, annotations={"org.example.kind": "attached"},
                               subject={"mediaType": MANIFEST, "digest": digest_of(subject), "size": len(subject)})
    put = writer.push_manifest(REPO, "0.9.0", referrer)
    assert put.status == 201 and put.headers["oci-subject"] == digest_of(subject), put
    path = f"/v2/{REPO}/referrers/{digest_of(subject)}"
    reader = OCIClient(registry)
    listed = reader.request("GET", path)
    assert listed.status == 200 and listed.headers["content-type"] == "application/vnd.oci.image.index.v1+json"
    expected = {"mediaType": MANIFEST, "digest": digest_of(referrer), "size": len(referrer), "artifactType": CONFIG,
                "annotations": {"org.example.kind": "attached"}}
    assert listed.json() == {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                             "manifests": [expected]}
    assert "oci-filters-applied" not in listed.headers
    kept = reader.request("GET", f"{path}?artifactType={CONFIG}")
    assert kept.json()["manifests"] == [expected] and kept.headers["oci-filters-applied"] == "artifactType"
    dropped = reader.request("GET", f"{path}?artifactType=application/vnd.example.sbom")
    assert dropped.json()["manifests"] == [] and dropped.headers["oci-filters-applied"] == "artifactType"
    assert reader.request("GET", f"/v2/{REPO}/referrers/{digest_of(referrer)}").json()["manifests"] == []
    assert OCIClient(registry, cert="admin").request("DELETE", f"/v2/{REPO}/manifests/{digest_of(referrer)}").status == 202
    assert reader.request("GET", path).json()["manifests"] == []


# --- Content management (spec: "Deleting tags", "Deleting manifests", "Deleting blobs") ------------------

def test_delete_manifest_by_digest_then_it_is_gone(registry, pushed):
    _, _, manifest = pushed
    admin = OCIClient(registry, cert="admin")
    assert admin.request("DELETE", f"/v2/{REPO}/manifests/{digest_of(manifest)}").status == 202
    assert_error(OCIClient(registry).request("GET", f"/v2/{REPO}/manifests/0.8.1"), 404, "MANIFEST_UNKNOWN")
    assert OCIClient(registry).request("GET", f"/v2/{REPO}/tags/list").json()["tags"] == []


def test_blob_delete_is_unsupported(registry, pushed):
    chart, _, _ = pushed
    # Blobs go with the chart version they belong to: the spec allows 405 UNSUPPORTED.
    answer = OCIClient(registry, cert="admin").request("DELETE", f"/v2/{REPO}/blobs/{digest_of(chart)}")
    assert_error(answer, 405, "UNSUPPORTED")


def test_errors_use_the_spec_body(registry):
    answer = OCIClient(registry).request("PUT", f"/v2/{REPO}/manifests/1.0.0", body=b"{}",
                                         headers={"Content-Type": MANIFEST})
    assert_error(answer, 401, "UNAUTHORIZED")
    assert answer.headers["www-authenticate"] == 'Basic realm="chartwarden"'
    invalid = OCIClient(registry, cert="ci-pusher").push_manifest(REPO, "1.0.0", json.dumps(
        {"schemaVersion": 2, "config": {"mediaType": CONFIG, "digest": "sha256:" + "4" * 64, "size": 1},
         "layers": [{"mediaType": CHART, "digest": "sha256:" + "5" * 64, "size": 1}]}).encode())
    assert invalid.status == 400 and invalid.error_codes() == ["MANIFEST_BLOB_UNKNOWN"]


def test_head_answers_carry_no_body_on_a_kept_alive_connection(registry, pushed):
    """A HEAD answer with body bytes would corrupt the next answer on the same connection."""
    import http.client
    chart, _, manifest = pushed
    client = OCIClient(registry)
    connection = http.client.HTTPSConnection("localhost", registry.port, context=client.context, timeout=60)
    for method, path in [("HEAD", f"/v2/{REPO}/manifests/0.8.1"), ("HEAD", f"/v2/{REPO}/manifests/9.9.9"),
                         ("HEAD", f"/v2/{REPO}/blobs/{digest_of(chart)}"), ("GET", f"/v2/{REPO}/manifests/0.8.1")]:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
        assert response.status in (200, 404)
        if method == "GET":
            assert body == manifest
    connection.close()
