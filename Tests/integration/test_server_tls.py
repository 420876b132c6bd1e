"""TLS policy and robustness on a real socket: what handshakes, what is refused, and that
misbehaving clients are dropped while others keep being served."""
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import client_cert, tls_file


def s_client(server, *args, data=b""):
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost",
               "-CAfile", tls_file("ca.crt"), "-verify_return_error", *args]
    return subprocess.run(command, input=data, capture_output=True, timeout=30)


def handshake_ok(result):
    out = result.stdout.decode(errors="replace")
    return result.returncode == 0 and "Cipher is (NONE)" not in out and "Verify return code: 0 (ok)" in out


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_protocol_versions_are_refused(server, version):
    # SECLEVEL=0 lets the client offer TLS 1.0/1.1, so the refusal is the server's.
    result = s_client(server, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert not handshake_ok(result)
    assert b"alert protocol version" in result.stderr or b"unsupported protocol" in result.stderr \
        or b"no protocols available" in result.stderr, result.stderr


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256",
                                    "ECDHE-ECDSA-AES128-SHA256"])
def test_non_aead_or_non_ecdhe_tls12_ciphers_are_refused(server, cipher):
    result = s_client(server, "-tls1_2", "-cipher", cipher)
    assert not handshake_ok(result), result.stdout[-500:]


@pytest.mark.parametrize("args", [["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
                                  ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
                                  ["-tls1_3"]])
def test_modern_handshakes_succeed(server, args):
    result = s_client(server, *args, "-alpn", "http/1.1", data=b"")
    assert handshake_ok(result), result.stderr
    assert b"ALPN protocol: http/1.1" in result.stdout


def test_session_resumption(server, tmp_path):
    session = str(tmp_path / "session.pem")
    first = s_client(server, "-tls1_2", "-sess_out", session)
    assert handshake_ok(first)
    second = s_client(server, "-tls1_2", "-sess_in", session)
    assert b"Reused, TLSv1.2" in second.stdout


def test_python_ssl_and_curl_handshake(server):
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    context.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as connection:
            assert connection.version() in ("TLSv1.2", "TLSv1.3")
            assert connection.selected_alpn_protocol() == "http/1.1"
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            response = b""
            while chunk := connection.recv(4096):
                response += chunk
            assert response.startswith(b"HTTP/1.1 200") and b'{"healthy":true}' in response
    assert server.curl("/health").status == 200
    assert server.curl("/health", ca=False).status == 0  # curl refuses the unknown CA


def test_plaintext_to_the_tls_port_is_dropped(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        reply = raw.recv(4096)
        # A TLS alert at most, never an HTTP answer; then the connection closes.
        assert not reply.startswith(b"HTTP/")
        while raw.recv(4096):
            pass


def wait_closed(sock, limit):
    """Blocks until the peer closes (recv returns b'' or errors); returns seconds waited."""
    sock.settimeout(limit)
    start = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, ssl.SSLError, OSError):
        pass
    return time.monotonic() - start


def test_stalled_and_garbage_clients_are_dropped_while_others_are_served(server):
    # readTimeoutSeconds is 3 in the test config.
    stalled_handshake = socket.create_connection(("127.0.0.1", server.port))
    stalled_handshake.sendall(b"\x16\x03\x01\x00")  # the start of a ClientHello, then nothing
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    stalled_request = context.wrap_socket(socket.create_connection(("127.0.0.1", server.port)),
                                          server_hostname="localhost")
    stalled_request.sendall(b"GET /health HTTP/1.1\r\nHost: loc")  # half a request, then nothing
    garbage = context.wrap_socket(socket.create_connection(("127.0.0.1", server.port)),
                                  server_hostname="localhost")
    garbage.sendall(b"\x00\xff garbage that is not HTTP \r\n\r\n")

    results = {}
    threads = [threading.Thread(target=lambda n=n, s=s: results.__setitem__(n, wait_closed(s, 30)))
               for n, s in [("handshake", stalled_handshake), ("request", stalled_request), ("garbage", garbage)]]
    for thread in threads:
        thread.start()
    # Meanwhile, a well-behaved client is served many times.
    for _ in range(10):
        assert server.curl("/health").status == 200
    for thread in threads:
        thread.join()
    assert set(results) == {"handshake", "request", "garbage"}
    assert all(seconds < 25 for seconds in results.values()), results
    assert server.curl("/ready").status == 200


def test_certificate_reload_on_sighup_keeps_open_connections(server_factory, tmp_path):
    import shutil
    import signal
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    shutil.copy(tls_file("server.crt"), cert)
    shutil.copy(tls_file("server.key"), key)

    def use_copies(config):
        config["server"]["tls"]["certificate"] = str(cert)
        config["server"]["tls"]["privateKey"] = str(key)

    server = server_factory(use_copies)
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    kept = context.wrap_socket(socket.create_connection(("127.0.0.1", server.port)), server_hostname="localhost")
    before = kept.getpeercert(binary_form=True)

    # Swap in another certificate (the admin client's, signed by the same CA) and signal.
    other_cert, other_key = client_cert("admin")
    shutil.copy(other_cert, cert)
    shutil.copy(other_key, key)
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "TLS certificate and key reloaded" not in server.log():
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.05)

    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}"],
                            input=b"", capture_output=True, timeout=30)
    assert b"CN = admin" in result.stdout or b"CN=admin" in result.stdout
    # The connection opened before the reload still works, with its original certificate.
    kept.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert kept.recv(4096).startswith(b"HTTP/1.1 200")
    assert kept.getpeercert(binary_form=True) == before
    kept.close()
