"""The ChartMuseum-compatible API over real HTTPS with curl: the three push forms, conflicts,
overwrite rules, limits and bad archives."""
import json
import os
import socket
import ssl

from conftest import FIXTURES, packaged, make_prov, tls_file, client_cert

HOSTILE = os.path.join(FIXTURES, "hostile")


def test_raw_upload_publishes_and_serves(server):
    response = server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"),
                           cert="ci-pusher")
    assert (response.status, response.json()) == (201, {"saved": True})
    index = server.curl("/stable/index.yaml")
    assert index.status == 200 and b"redis-lite-0.8.1.tgz" in index.body
    chart = server.curl("/stable/charts/redis-lite-0.8.1.tgz")
    assert chart.status == 200
    assert chart.body == open(packaged("redis-lite-0.8.1.tgz"), "rb").read()
    assert chart.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in chart.headers
    head = server.curl("/stable/charts/redis-lite-0.8.1.tgz", "-I")
    assert head.status == 200 and head.headers["content-length"] == str(len(chart.body))


def test_multipart_chart_and_prov_together(server, signing_home):
    prov = make_prov(signing_home, packaged("webapp-1.2.0.tgz"))
    prov_path = os.path.join(server.workdir, "webapp-1.2.0.tgz.prov")
    open(prov_path, "wb").write(prov)
    response = server.curl("/api/stable/charts", "-F", "chart=@" + packaged("webapp-1.2.0.tgz"),
                           "-F", "prov=@" + prov_path, cert="ci-pusher")
    assert response.status == 201, response
    served = server.curl("/stable/charts/webapp-1.2.0.tgz.prov")
    assert served.status == 200 and served.body == prov
    assert served.headers["content-type"] == "application/pgp-signature"


def test_multipart_part_header_name_beyond_ascii_is_a_400_and_the_server_lives(server):
    """MultipartKit indexed a 128-entry table with each header-name byte: this body aborted the
    server process (fuzzer find, Tests/Fuzz/Regressions/Multipart)."""
    path = os.path.join(server.workdir, "hostile-multipart")
    open(path, "wb").write(b"--XyZ\r\nC\xb5ntent-Disposition: form-data; name=chart\r\n\r\nA\r\n--XyZ--\r\n")
    response = server.curl("/api/stable/charts", "--data-binary", "@" + path,
                           "-H", "Content-Type: multipart/form-data; boundary=XyZ", cert="ci-pusher")
    assert response.status == 400, response
    assert "malformed multipart body" in response.json()["error"]
    assert server.curl("/stable/index.yaml").status == 200


def test_chart_then_prov_in_two_requests(server, signing_home):
    assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged("batch-jobs-3.0.0.tgz"),
                       cert="ci-pusher").status == 201
    assert server.curl("/stable/charts/batch-jobs-3.0.0.tgz.prov").status == 404
    prov_path = os.path.join(server.workdir, "batch.prov")
    open(prov_path, "wb").write(make_prov(signing_home, packaged("batch-jobs-3.0.0.tgz")))
    response = server.curl("/api/stable/prov", "--data-binary", "@" + prov_path, cert="ci-pusher")
    assert (response.status, response.json()) == (201, {"saved": True})
    assert server.curl("/stable/charts/batch-jobs-3.0.0.tgz.prov").body == open(prov_path, "rb").read()
    # A prov for a chart that is not stored is a 404.
    orphan = os.path.join(server.workdir, "orphan.prov")
    open(orphan, "wb").write(make_prov(signing_home, packaged("redis-lite-0.8.2.tgz")))
    assert server.curl("/api/stable/prov", "--data-binary", "@" + orphan, cert="ci-pusher").status == 404


def test_multipart_prov_of_another_chart_is_refused(server, signing_home):
    prov_path = os.path.join(server.workdir, "other.prov")
    open(prov_path, "wb").write(make_prov(signing_home, packaged("redis-lite-0.8.2.tgz")))
    response = server.curl("/api/stable/charts", "-F", "chart=@" + packaged("redis-lite-0.8.1.tgz"),
                           "-F", "prov=@" + prov_path, cert="ci-pusher")
    assert response.status == 400 and "redis-lite 0.8.2" in response.json()["error"]
    assert server.curl("/stable/charts/redis-lite-0.8.1.tgz").status == 404


def test_duplicates_conflict_and_force_follows_overwrite_setting(server, tmp_path):
    import gzip
    chart = "@" + packaged("common-lib-1.4.0.tgz")
    # The same chart in other bytes (another gzip header time): another upload of version 1.4.0.
    other_path = tmp_path / "common-lib-1.4.0.tgz"
    other_path.write_bytes(gzip.compress(gzip.decompress(open(packaged("common-lib-1.4.0.tgz"), "rb").read()), mtime=1))
    other = "@" + str(other_path)
    assert server.curl("/api/stable/charts", "--data-binary", chart, cert="ci-pusher").status == 201
    # Byte-identical again: an idempotent no-op (issue 15), not a conflict.
    same = server.curl("/api/stable/charts", "--data-binary", chart, cert="ci-pusher")
    assert same.status == 201 and same.json() == {"saved": True, "unchanged": True}, same
    again = server.curl("/api/stable/charts", "--data-binary", other, cert="ci-pusher")
    assert again.status == 409 and "already exists" in again.json()["error"]
    # stable has allowOverwrite: false, so ?force changes nothing.
    assert server.curl("/api/stable/charts?force", "--data-binary", other, cert="ci-pusher").status == 409
    # The root repository allows overwrite: without ?force still 409, with it 201.
    assert server.curl("/api/charts", "--data-binary", chart, cert="ci-pusher").status == 201
    assert server.curl("/api/charts", "--data-binary", other, cert="ci-pusher").status == 409
    assert server.curl("/api/charts?force=true", "--data-binary", other, cert="ci-pusher").status == 201
    assert server.curl("/charts/common-lib-1.4.0.tgz").body == other_path.read_bytes()
    assert server.curl("/index.yaml").body.count(b"common-lib-1.4.0.tgz") == 1


def test_malformed_archives_get_400_with_the_archive_message(server):
    expected = json.load(open(os.path.join(HOSTILE, "expected.json")))
    checked = 0
    for name, outcome in sorted(expected.items()):
        path = os.path.join(HOSTILE, name)
        if os.path.getsize(path) > 2 * 1024 * 1024:
            continue  # over this server's upload limit: covered by the 413 tests
        response = server.curl("/api/stable/charts", "--data-binary", "@" + path, cert="ci-pusher")
        assert response.status == 400, (name, response)
        assert outcome["message"] in response.json()["error"], name
        checked += 1
    assert checked >= 25
    assert server.curl("/stable/index.yaml").body.count(b"urls") == 0


def open_tls(server, cert=None):
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    if cert:
        context.load_cert_chain(*client_cert(cert))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_response(connection):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest


def test_oversize_declared_length_is_refused_before_the_body_is_sent(server):
    """Content-Length of 200 MiB against a 2 MiB limit: 413 arrives after only 64 KiB was sent."""
    connection = open_tls(server, cert="ci-pusher")
    connection.sendall(b"POST /api/stable/charts HTTP/1.1\r\nHost: localhost\r\n"
                       b"Content-Type: application/gzip\r\nContent-Length: 209715200\r\n\r\n" + b"\0" * 65536)
    status, headers, body = read_response(connection)
    connection.close()
    assert status == 413 and headers.get("connection") == "close"
    assert "limit" in json.loads(body)["error"]


def test_oversize_chunked_body_is_cut_off_at_the_limit(server):
    """No length declared and the body never ends: the server counts while reading and answers
    413 once the 2 MiB limit is crossed, without waiting for the end of the body."""
    connection = open_tls(server, cert="ci-pusher")
    connection.sendall(b"POST /api/stable/charts HTTP/1.1\r\nHost: localhost\r\n"
                       b"Content-Type: application/gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"\0" * 65536
    for _ in range(48):  # 3 MiB, and no terminating chunk
        connection.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    status, headers, body = read_response(connection)
    connection.close()
    assert status == 413 and "limit" in json.loads(body)["error"]
    # The server is still serving.
    assert server.curl("/health").status == 200


def test_unauthenticated_write_is_401_and_reader_without_grant_is_403(server):
    chart = "@" + packaged("redis-lite-0.8.1.tgz")
    anonymous = server.curl("/api/stable/charts", "--data-binary", chart)
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"] == 'Basic realm="chartwarden"'
    reader = server.curl("/api/stable/charts", "--data-binary", chart, cert="reader")
    assert reader.status == 403 and "error" in reader.json()
    # A repository the caller cannot read answers like a missing one.
    assert server.curl("/api/private/charts", cert="admin").status == 404
    assert server.curl("/api/nope/charts", cert="admin").status == 404
    assert server.curl("/private/index.yaml", cert="reader").status == 200


def test_list_describe_latest_delete(server):
    for name in ["node-agent-0.3.0-alpha.1.tgz", "node-agent-0.3.0-alpha.2.tgz", "webapp-1.1.0.tgz",
                 "webapp-1.2.0.tgz", "webapp-2.0.0-beta.2+build.7.tgz"]:
        assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher").status == 201
    listing = server.curl("/api/stable/charts").json()
    assert sorted(listing) == ["node-agent", "webapp"]
    assert [v["version"] for v in listing["webapp"]] == ["2.0.0-beta.2+build.7", "1.2.0", "1.1.0"]
    assert list(server.curl("/api/stable/charts?offset=1&limit=1").json()) == ["webapp"]
    assert server.curl("/api/stable/charts/webapp/latest").json()["version"] == "1.2.0"
    assert server.curl("/api/stable/charts/node-agent/latest").json()["version"] == "0.3.0-alpha.2"
    assert server.curl("/api/stable/charts/webapp/1.1.0").json()["urls"] == ["charts/webapp-1.1.0.tgz"]
    assert server.curl("/api/stable/charts/webapp/9.9.9").status == 404
    assert server.curl("/api/stable/charts/nothing").status == 404
    assert server.curl("/api/stable/charts/webapp", "-I").status == 200
    # Delete needs the delete grant: ci-pusher may write but not delete.
    assert server.curl("/api/stable/charts/webapp/1.1.0", "-X", "DELETE", cert="ci-pusher").status == 403
    deleted = server.curl("/api/stable/charts/webapp/1.1.0", "-X", "DELETE", cert="admin")
    assert (deleted.status, deleted.json()) == (200, {"deleted": True})
    assert b"webapp-1.1.0.tgz" not in server.curl("/stable/index.yaml").body
    assert server.curl("/stable/charts/webapp-1.1.0.tgz").status == 404
    assert server.curl("/api/stable/charts/webapp/1.1.0", "-X", "DELETE", cert="admin").status == 404
    # A deleted version can be pushed again.
    assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged("webapp-1.1.0.tgz"),
                       cert="ci-pusher").status == 201


def test_index_etag_gzip_and_errors_are_json(server):
    assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"),
                       cert="ci-pusher").status == 201
    first = server.curl("/stable/index.yaml")
    etag = first.headers["etag"]
    assert server.curl("/stable/index.yaml", "-H", f"If-None-Match: {etag}").status == 304
    gzipped = server.curl("/stable/index.yaml", "-H", "Accept-Encoding: gzip")
    assert gzipped.headers["content-encoding"] == "gzip" and gzipped.headers["etag"] != etag
    import gzip
    assert gzip.decompress(gzipped.body) == first.body
    assert "content-encoding" not in first.headers
    # A new upload changes the ETag.
    assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.2.tgz"),
                       cert="ci-pusher").status == 201
    assert server.curl("/stable/index.yaml", "-H", f"If-None-Match: {etag}").status == 200
    missing = server.curl("/no/such/route/here")
    assert missing.status == 404 and "error" in missing.json()
    assert server.curl("/api/stable/charts", "--data-binary", "", cert="ci-pusher").status == 400
    request_id = server.curl("/health", "-H", "X-Request-Id: trace-abc-123")
    assert request_id.headers["x-request-id"] == "trace-abc-123"


def test_system_routes(server):
    assert server.curl("/health").json() == {"healthy": True}
    assert server.curl("/ready").json() == {"ready": True}
    info = server.curl("/info").json()
    assert info["name"] == "chartwarden" and "stable" in info["repositories"]
    assert server.curl("/metrics").status == 401
    assert server.curl("/metrics", cert="reader").status == 403
    server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    server.curl("/stable/charts/redis-lite-0.8.1.tgz")
    metrics = server.curl("/metrics", cert="admin")
    assert metrics.status == 200
    text = metrics.body.decode()
    assert 'chartwarden_uploads_total{repository="stable",outcome="saved"} 1' in text
    assert 'chartwarden_downloads_total{repository="stable",kind="chart"} 1' in text
    assert "chartwarden_http_request_duration_seconds_bucket" in text
    assert 'route="/{repo}/index.yaml"' in text or "chartwarden_http_requests_total" in text


def test_oversized_headers_are_refused_and_the_server_keeps_serving(server):
    connection = open_tls(server)
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + b"a" * (64 * 1024) + b"\r\n\r\n")
    reply = b""
    try:
        while chunk := connection.recv(65536):
            reply += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    connection.close()
    # The decoder's limit (32 KiB by default) ends the request with a 4xx and closes.
    assert reply == b"" or reply.split()[1] in (b"400", b"431"), reply[:100]
    assert server.curl("/health").status == 200
