"""Issue 13: each repository keeps its index as one rendered fragment per chart and serves it as a
chain of buffers. After many changes through the HTTP API the served index must be the one a
from-scratch render of the store gives (a restart builds every fragment anew from the rows), and a
repository with `indexFormat: json` must work for the real Helm client."""
import email.utils
import hashlib
import http.client
import io
import json
import random
import socket
import ssl
import tarfile
import time

import pytest
import yaml

from conftest import PGP_KEYS, client_cert, packaged, pgp_file, tls_file

SIGNER = "ed25519-signer"


class Connection:
    """One keep-alive HTTPS connection with a client certificate: a thousand requests without a
    handshake (and a curl process) each."""

    def __init__(self, port, cert=None):
        context = ssl.create_default_context(cafile=tls_file("ca.crt"))
        if cert:
            context.load_cert_chain(*client_cert(cert))
        self.connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=60)

    def request(self, method, path, body=None, headers=None):
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def close(self):
        self.connection.close()


def chart_yaml(name, version, description):
    return f'apiVersion: v2\nname: {name}\nversion: "{version}"\ndescription: "{description}"\n'


def chart_tgz(name, version, description):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path, text in [(f"{name}/Chart.yaml", chart_yaml(name, version, description)),
                           (f"{name}/values.yaml", "replicas: 1\n")]:
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def multipart(chart, prov, file_name):
    boundary = "----chartwarden-index-test"
    body = b""
    for field, name, data in [("chart", file_name, chart), ("prov", file_name + ".prov", prov)]:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def without_generated(document, index_format):
    if index_format == "json":
        parsed = json.loads(document)
        assert parsed.pop("generated")
        return json.dumps(parsed, sort_keys=True).encode()
    lines = document.split(b"\n")
    assert lines[-2].startswith(b"generated: ") and lines[-1] == b""
    return b"\n".join(lines[:-2])


def served_versions(document):
    """(name, version) pairs of an index in either form (JSON is YAML too)."""
    parsed = yaml.safe_load(document)
    return {(name, entry["version"]) for name, entries in parsed["entries"].items() for entry in entries}


def repository_config(index_format):
    def mutate(config):
        config["server"]["maxUploadBytes"] = 1024 * 1024
        # The admin's keep-alive connection idles while the pusher's works.
        config["server"]["readTimeoutSeconds"] = 60
        config["repositories"] = [{
            "name": "frag", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
            "allowOverwrite": True, "indexFormat": index_format,
            # `warn` publishes unsigned charts; the signed ones name a key a distrust re-verifies.
            "provenance": {"mode": "warn", "trustedKeys": [pgp_file(f"{SIGNER}.pub.asc")]},
        }]
    return mutate


# 1,000 changes in the default form; the JSON form runs the same code on other bytes, with fewer
# changes to keep the file's runtime reasonable (each upload is a real archive read, scan and fsync).
@pytest.mark.parametrize("index_format, total", [("yaml", 1000), ("json", 400)])
def test_a_thousand_changes_leave_the_index_a_from_scratch_render_gives(server_factory, pgp, tmp_path, index_format,
                                                                        total):
    server = server_factory(repository_config(index_format))
    pusher, admin = Connection(server.port, "ci-pusher"), Connection(server.port, "admin")
    fingerprint = PGP_KEYS[SIGNER]["fingerprint"]
    rng = random.Random(13)
    names = [f"app{n:02d}" for n in range(24)] + ["a", "a-b", "zz-last"]
    # (name, version) -> "active" | "quarantined" | "deleted"; signed: what a distrust quarantines.
    state, signed = {}, set()
    changes, next_distrust = 0, total // 7
    counts = {"upload": 0, "overwrite": 0, "delete": 0, "quarantine": 0, "restore": 0}

    def upload(name, version, sign, force=False):
        nonlocal changes
        file_name = f"{name}-{version}.tgz"
        # YAML escapes: the index must escape U+2028 again, in both forms.
        description = f"{name} {version} {rng.random():.6f} \\u00e9\\u2028"
        chart = chart_tgz(name, version, description)
        path = f"/api/frag/charts{'?force' if force else ''}"
        if sign:
            digest = hashlib.sha256(chart).hexdigest()
            body = chart_yaml(name, version, description).rstrip("\n") + f"\n\n...\nfiles:\n  {file_name}: sha256:{digest}\n"
            body_bytes, headers = multipart(chart, pgp.clearsign(body, SIGNER), file_name)
            status, _, answer = pusher.request("POST", path, body_bytes, headers)
        else:
            status, _, answer = pusher.request("POST", path, chart, {"Content-Type": "application/gzip"})
        assert status == 201, (name, version, status, answer)
        state[(name, version)] = "active"
        (signed.add if sign else signed.discard)((name, version))
        counts["overwrite" if force else "upload"] += 1
        changes += 1

    while changes < total:
        active = [key for key, value in state.items() if value == "active"]
        roll = rng.random()
        if roll < 0.55 or len(active) < 10:
            name = rng.choice(names)
            version = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}" + rng.choice(["", "", "-rc.1"])
            if state.get((name, version)) in ("active", "quarantined"):
                continue
            # Signing runs gpg: one upload in eight is signed.
            upload(name, version, sign=rng.random() < 0.125)
        elif roll < 0.67:
            name, version = rng.choice(active)
            upload(name, version, sign=False, force=True)
        elif roll < 0.87:
            name, version = rng.choice(active)
            status, _, answer = admin.request("DELETE", f"/api/frag/charts/{name}/{version}")
            assert status == 200, (name, version, status, answer)
            state[(name, version)] = "deleted"
            signed.discard((name, version))
            counts["delete"] += 1
            changes += 1
        elif changes >= next_distrust:
            # A few times a run (a distrust re-verifies every chart the key signed: gpg each).
            next_distrust += total // 5
            # Distrust with quarantine: every active chart the key signed leaves the index.
            status, _, answer = admin.request("DELETE", f"/api/admin/repositories/frag/signers/{fingerprint}?quarantine=true")
            assert status == 200, answer
            expected = {key for key in signed if state[key] == "active"}
            quarantined = {(q["name"], q["version"]) for q in json.loads(answer)["quarantined"]}
            assert quarantined == expected
            for key in quarantined:
                state[key] = "quarantined"
            counts["quarantine"] += len(quarantined)
            changes += len(quarantined)
            status, _, answer = admin.request("POST", "/api/admin/signers?repo=frag",
                                              open(pgp_file(f"{SIGNER}.pub.asc"), "rb").read())
            assert status == 201, answer
        else:
            held = [key for key, value in state.items() if value == "quarantined"]
            if not held:
                continue
            name, version = rng.choice(held)
            status, _, answer = admin.request("POST", f"/api/admin/quarantine/frag/{name}/{version}/restore")
            assert status == 200, (name, version, status, answer)
            state[(name, version)] = "active"
            counts["restore"] += 1
            changes += 1
    pusher.close()
    admin.close()
    assert all(counts.values()), counts

    reader = Connection(server.port)
    status, headers, incremental = reader.request("GET", "/frag/index.yaml")
    reader.close()
    assert status == 200
    assert headers["content-type"] == ("application/json" if index_format == "json" else "application/x-yaml")
    assert incremental.startswith(b"{" if index_format == "json" else b"apiVersion: v1\n")
    assert served_versions(incremental) == {key for key, value in state.items() if value == "active"}

    # A restart joins the renderings stored beside the rows (the last few publishes' are rendered
    # again): the same document.
    assert server.stop() == 0
    server, restarted_headers, restarted = restart(server_factory, tmp_path, index_format)
    assert without_generated(incremental, index_format) == without_generated(restarted, index_format)
    assert restarted_headers["etag"] != headers["etag"], "a restart never reuses an ETag"
    # A start with another publicURL renders every row again, with absolute URLs; going back to
    # the first settings renders every row from scratch once more: the document of the changes.
    assert server.stop() == 0
    server, _, absolute = restart(server_factory, tmp_path, index_format, public_url=PUBLIC_URL)
    assert served_urls(absolute) == {f"{PUBLIC_URL}/frag/charts/{name}-{version}.tgz"
                                     for (name, version), value in state.items() if value == "active"}
    assert server.stop() == 0
    server, _, from_scratch = restart(server_factory, tmp_path, index_format)
    assert without_generated(incremental, index_format) == without_generated(from_scratch, index_format)


PUBLIC_URL = "https://charts.example.test"


def restart(server_factory, tmp_path, index_format, public_url=None):
    def mutate(config):
        repository_config(index_format)(config)
        if public_url:
            config["server"]["publicURL"] = public_url
    server = server_factory(mutate, data_dir=tmp_path / "data")
    reader = Connection(server.port)
    status, headers, document = reader.request("GET", "/frag/index.yaml")
    reader.close()
    assert status == 200
    return server, headers, document


def served_urls(document):
    parsed = yaml.safe_load(document)
    return {url for entries in parsed["entries"].values() for entry in entries for url in entry["urls"]}


def test_a_restart_with_another_public_url_serves_the_new_urls(server_factory, tmp_path):
    """Stored renderings carry the settings they were made with: a changed publicURL is seen at
    start and every row rendered again, in the index and in the API."""
    server = server_factory(repository_config("yaml"))
    for name in ["redis-lite-0.8.1.tgz", "webapp-1.1.0.tgz"]:
        assert server.curl("/api/frag/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher").status == 201
    assert served_urls(server.curl("/frag/index.yaml").body) == {"charts/redis-lite-0.8.1.tgz", "charts/webapp-1.1.0.tgz"}
    assert server.stop() == 0
    server, _, document = restart(server_factory, tmp_path, "yaml", public_url=PUBLIC_URL)
    assert served_urls(document) == {f"{PUBLIC_URL}/frag/charts/redis-lite-0.8.1.tgz",
                                     f"{PUBLIC_URL}/frag/charts/webapp-1.1.0.tgz"}
    api = server.curl("/api/frag/charts/webapp/1.1.0")
    assert api.status == 200 and api.json()["urls"] == [f"{PUBLIC_URL}/frag/charts/webapp-1.1.0.tgz"]
    # And back: the relative URLs again, not the stored absolute ones.
    assert server.stop() == 0
    server, _, document = restart(server_factory, tmp_path, "yaml")
    assert served_urls(document) == {"charts/redis-lite-0.8.1.tgz", "charts/webapp-1.1.0.tgz"}


def test_helm_adds_updates_and_downloads_from_a_json_repository(server_factory, helm):
    server = server_factory(repository_config("json"))

    def push(name):
        response = server.curl("/api/frag/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher")
        assert response.status == 201, response

    push("redis-lite-0.8.1.tgz")
    push("webapp-1.1.0.tgz")
    served = server.curl("/frag/index.yaml")
    assert served.status == 200 and served.headers["content-type"] == "application/json"
    assert json.loads(served.body)["entries"]["redis-lite"][0]["version"] == "0.8.1"
    helm.run("repo-add", "cw", server.url + "/frag", "--ca-file", tls_file("ca.crt"))
    assert yaml.safe_load(helm.run("show-chart", "cw/redis-lite").stdout)["version"] == "0.8.1"
    push("redis-lite-0.8.2.tgz")
    helm.run("repo-update")
    shown = yaml.safe_load(helm.run("show-chart", "cw/redis-lite").stdout)
    assert (shown["name"], shown["version"]) == ("redis-lite", "0.8.2")
    for name, version in [("redis-lite", "0.8.1"), ("redis-lite", "0.8.2"), ("webapp", "1.1.0")]:
        result = helm.run("locate", f"cw/{name}", version, "--ca-file", tls_file("ca.crt"), check=False)
        assert result.returncode == 0, f"{name} {version}: {result.stderr}"


@pytest.mark.parametrize("index_format", ["yaml", "json"])
def test_gzip_is_the_same_document_and_a_304_needs_no_compression(server_factory, index_format):
    import gzip
    server = server_factory(repository_config(index_format))
    for name in ["redis-lite-0.8.1.tgz", "webapp-1.1.0.tgz"]:
        assert server.curl("/api/frag/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher").status == 201
    plain = server.curl("/frag/index.yaml")
    compressed = server.curl("/frag/index.yaml", "-H", "Accept-Encoding: gzip")
    assert compressed.status == 200 and compressed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed.body) == plain.body
    assert compressed.headers["etag"] != plain.headers["etag"]
    again = server.curl("/frag/index.yaml", "-H", "Accept-Encoding: gzip")
    assert again.body == compressed.body and again.headers["etag"] == compressed.headers["etag"]
    for etag, extra in [(plain.headers["etag"], []), (compressed.headers["etag"], ["-H", "Accept-Encoding: gzip"])]:
        assert server.curl("/frag/index.yaml", "-H", f"If-None-Match: {etag}", *extra).status == 304
    # A change is a new generation: a new ETag.
    assert server.curl("/api/frag/charts", "--data-binary", "@" + packaged("redis-lite-0.8.2.tgz"),
                       cert="ci-pusher").status == 201
    changed = server.curl("/frag/index.yaml", "-H", f"If-None-Match: {plain.headers['etag']}")
    assert changed.status == 200 and changed.headers["etag"] != plain.headers["etag"]



def test_one_keep_alive_connection_sees_every_change_to_what_it_asked_before(server_factory, pgp):
    """The fast path keeps each connection's last answer while its repository's generation holds:
    a client polling on one connection must still see a publish, a quarantine and a delete made
    through other connections at its very next request, in the index and in the file."""
    server = server_factory(repository_config("yaml"))
    pusher, admin, poller = Connection(server.port, "ci-pusher"), Connection(server.port, "admin"), Connection(server.port)

    def publish(name, version, sign=False):
        chart = chart_tgz(name, version, f"{name} {version}")
        if sign:
            file_name = f"{name}-{version}.tgz"
            body = chart_yaml(name, version, f"{name} {version}").rstrip("\n")
            body += f"\n\n...\nfiles:\n  {file_name}: sha256:{hashlib.sha256(chart).hexdigest()}\n"
            status, _, answer = pusher.request("POST", "/api/frag/charts",
                                               *multipart(chart, pgp.clearsign(body, SIGNER), file_name))
        else:
            status, _, answer = pusher.request("POST", "/api/frag/charts", chart, {"Content-Type": "application/gzip"})
        assert status == 201, answer
        return chart

    signed = publish("held", "1.0.0", sign=True)
    for _ in range(3):  # the second and third are answered from what the connection kept
        status, _, body = poller.request("GET", "/frag/index.yaml")
        assert status == 200 and served_versions(body) == {("held", "1.0.0")}
        status, _, body = poller.request("GET", "/frag/charts/held-1.0.0.tgz")
        assert status == 200 and body == signed

    publish("plain", "2.0.0")
    status, _, body = poller.request("GET", "/frag/index.yaml")
    assert served_versions(body) == {("held", "1.0.0"), ("plain", "2.0.0")}

    status, _, answer = admin.request(
        "DELETE", f"/api/admin/repositories/frag/signers/{PGP_KEYS[SIGNER]['fingerprint']}?quarantine=true")
    assert status == 200, answer
    assert poller.request("GET", "/frag/charts/held-1.0.0.tgz")[0] == 403
    status, _, body = poller.request("GET", "/frag/index.yaml")
    assert served_versions(body) == {("plain", "2.0.0")}

    assert poller.request("GET", "/frag/charts/plain-2.0.0.tgz")[0] == 200
    assert admin.request("DELETE", "/api/frag/charts/plain/2.0.0")[0] == 200
    assert poller.request("GET", "/frag/charts/plain-2.0.0.tgz")[0] == 404
    assert poller.request("GET", "/frag/index.yaml")[0] == 200
    for connection in (pusher, admin, poller):
        connection.close()


def read_responses(connection, count):
    """`count` HTTP/1.1 responses with Content-Length from `connection` (a TLS socket), in order:
    (status, headers, body) each."""
    data, responses = b"", []
    while len(responses) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            lines = data[:head_end].decode().split("\r\n")
            headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:])}
            end = head_end + 4 + int(headers["content-length"])
            if len(data) >= end:
                responses.append((int(lines[0].split()[1]), headers, data[head_end + 4:end]))
                data = data[end:]
                continue
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed after {len(responses)} of {count} responses"
        data += chunk
    return responses


def test_repeated_answers_on_one_connection_each_carry_their_own_request_id_and_date(server_factory):
    """A connection asking again for its last small answer gets the bytes it was sent before with
    the new request id and date written over the old ones. Pipelined requests are answered before
    the first answer is encrypted: each must still go out with its own id, and a client's own
    `X-Request-Id` in the middle must be echoed, not written into the kept bytes."""
    server = server_factory(repository_config("yaml"))
    pusher = Connection(server.port, "ci-pusher")
    chart = chart_tgz("poll", "1.0.0", "poll 1.0.0")
    assert pusher.request("POST", "/api/frag/charts", chart, {"Content-Type": "application/gzip"})[0] == 201
    pusher.close()
    index = server.curl("/frag/index.yaml").body

    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    with socket.create_connection(("localhost", server.port), timeout=60) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as connection:
        def get(path, request_id=None):
            extra = f"X-Request-Id: {request_id}\r\n" if request_id else ""
            return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode()

        paths = ["/frag/index.yaml"] * 4 + ["/frag/charts/poll-1.0.0.tgz"] * 3 + ["/frag/index.yaml"]
        sent = [get(path) for path in paths]
        sent.insert(2, get("/frag/index.yaml", "client-trace-7"))
        paths.insert(2, "/frag/index.yaml")
        connection.sendall(b"".join(sent))
        pipelined = read_responses(connection, len(sent))
        one_by_one = []
        for path in paths:
            connection.sendall(get(path))
            one_by_one += read_responses(connection, 1)

    ids = []
    for path, (status, headers, body) in zip(paths * 2, pipelined + one_by_one):
        assert status == 200
        assert body == (index if path.endswith("index.yaml") else chart)
        assert email.utils.parsedate_to_datetime(headers["date"]).year >= 2024
        ids.append(headers["x-request-id"])
    assert ids[2] == "client-trace-7"
    generated = ids[:2] + ids[3:]
    assert len(set(generated)) == len(generated), ids
    # Each generated id is the one the access log wrote for that answer.
    deadline = time.monotonic() + 30
    while not all(f"request_id={each}" in server.log() for each in generated):
        assert time.monotonic() < deadline, f"ids missing from the access log: {generated}"
        time.sleep(0.05)  # polling the log writer's batches, bounded by the deadline
