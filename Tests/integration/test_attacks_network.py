"""Network attacks from issue #19, on real sockets against the real binary: pipelined requests
that are never read (memory), trickled heads, bodies and handshakes (read timeout), connection
floods (server.maxConnections) and floods of refused client certificates (audit writes).

Every wait is bounded; the memory test stops the attack as soon as the bound is crossed, so the
old binary fails fast instead of eating the machine."""
import io
import os
import select
import socket
import ssl
import tarfile
import threading
import time

import pytest

from conftest import client_cert, tls_file

ATTACK_CONNECTIONS = 20
PIPELINED_REQUESTS = 5_000
MEMORY_BOUND = 100 * 1024 * 1024


# --- helpers ---------------------------------------------------------------------------------

def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def tls_context(cert=None):
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    if cert:
        context.load_cert_chain(*client_cert(cert))
    return context


def tls_connect(port, cert=None, timeout=30):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context(cert).wrap_socket(raw, server_hostname="localhost")


def publish_big_index(server, tmp_path, size=200_000):
    """One chart whose description makes index.yaml about `size` bytes (hex does not compress away)."""
    path = tmp_path / "wordy-1.0.0.tgz"
    chart_yaml = ("apiVersion: v2\nname: wordy\nversion: 1.0.0\ndescription: " + os.urandom(size // 2).hex() + "\n")
    with tarfile.open(path, "w:gz") as archive:
        data = chart_yaml.encode()
        info = tarfile.TarInfo("wordy/Chart.yaml")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    pushed = server.curl("/api/stable/charts", "--data-binary", f"@{path}", cert="ci-pusher")
    assert pushed.status == 201, pushed
    index = server.curl("/stable/index.yaml")
    assert index.status == 200 and len(index.body) >= size, (index.status, len(index.body))
    return len(index.body)


def closed_by_peer(connection, wait):
    """True when the server closed the connection (EOF or reset) within `wait` seconds. Reads
    without blocking: a TLS record with no application data (a session ticket) is not a close."""
    end = time.monotonic() + wait
    previous = connection.gettimeout()
    try:
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([connection], [], [], remaining)
            if not readable:
                return False
            connection.settimeout(0)
            try:
                if connection.recv(65536) == b"":
                    return True
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            except (ssl.SSLError, ConnectionError):
                return True
            finally:
                connection.settimeout(previous)
    except OSError:
        return True


def trickle(connection, data, interval=0.5, give_up=60):
    """Sends `data` one byte per `interval`; returns how many bytes went before the server closed
    the connection, or None if it never did (bounded by `give_up` seconds)."""
    started = time.monotonic()
    for sent in range(len(data)):
        try:
            connection.sendall(data[sent:sent + 1])
        except (ssl.SSLError, ConnectionError, BrokenPipeError):
            return sent
        if closed_by_peer(connection, interval):
            return sent + 1
        if time.monotonic() - started > give_up:
            return None
    return None


def pipeline_attack(server, request, connections, requests, served_timeout=20):
    """Opens `connections` TLS connections that each send `requests` pipelined copies of
    `request` and never read. Returns the peak growth of the server's resident memory, and
    whether a normal client got index.yaml meanwhile. Stops early past MEMORY_BOUND."""
    pid = server.process.pid
    baseline = resident_bytes(pid)
    stop = threading.Event()
    sockets = []
    payload = request * requests

    def attack():
        try:
            connection = tls_connect(server.port, timeout=10)
        except OSError:
            return
        sockets.append(connection)
        view = memoryview(payload)
        try:
            while view and not stop.is_set():
                sent = connection.send(view[:65536])
                view = view[sent:]
        except OSError:
            pass  # the server stopped reading (timeout) or closed: either way we are done sending

    threads = [threading.Thread(target=attack, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    peak = 0
    served = None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            peak = max(peak, resident_bytes(pid) - baseline)
            if peak > MEMORY_BOUND:
                break
            if served is None and not any(thread.is_alive() for thread in threads):
                # Every attacker has sent all it could; the server holds their connections open.
                served = server.curl("/stable/index.yaml", timeout=served_timeout).status
                # Watch a little longer: answers queued per connection must stay bounded.
                deadline = min(deadline, time.monotonic() + 3)
            select.select([], [], [], 0.1)  # sampling period
    finally:
        stop.set()
        for connection in sockets:
            try:
                connection.close()
            except OSError:
                pass
    print(f"peak resident growth {peak // 1024} KiB, normal client status {served}")
    return peak, served


# --- 1. backpressure -------------------------------------------------------------------------

def roomy_timeout(config):
    # The attack connections must stay open while we measure: no idle close during the test.
    config["server"]["readTimeoutSeconds"] = 30


@pytest.mark.parametrize("request_bytes", [
    b"GET /stable/index.yaml HTTP/1.1\r\nHost: localhost\r\n\r\n",
    # The same attack with requests the fast path leaves to Hummingbird (a Connection header).
    b"GET /stable/index.yaml HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n",
], ids=["fast path", "http1 pipeline"])
def test_pipelined_index_requests_never_read_keep_memory_bounded(server_factory, tmp_path, request_bytes):
    server = server_factory(roomy_timeout)
    publish_big_index(server, tmp_path)
    peak, served = pipeline_attack(server, request_bytes, ATTACK_CONNECTIONS, PIPELINED_REQUESTS)
    assert peak < MEMORY_BOUND, f"resident memory grew by {peak // (1024 * 1024)} MB"
    assert served == 200
    assert server.process.poll() is None


def test_slow_reader_still_gets_every_pipelined_answer(server_factory, tmp_path):
    """Backpressure pauses answers; it does not drop them: a client that reads late gets all."""
    server = server_factory(roomy_timeout)
    size = publish_big_index(server, tmp_path)
    count = 40
    connection = tls_connect(server.port)
    connection.sendall(b"GET /stable/index.yaml HTTP/1.1\r\nHost: localhost\r\n\r\n" * count)
    received = 0
    expected = count * size
    while received < expected:
        chunk = connection.recv(1 << 20)
        if not chunk:
            break
        received += len(chunk)
    connection.close()
    assert received >= expected, (received, expected)


# --- 2. read timeout -------------------------------------------------------------------------
# base_config sets readTimeoutSeconds: 3. A trickle of one byte every 0.5 s must be cut off long
# before the request completes; the liveness bound is generous (not a timing assertion).

HEAD = (b"GET /stable/index.yaml HTTP/1.1\r\nHost: localhost\r\nX-Padding: "
        + b"a" * 60 + b"\r\n\r\n")


def test_trickled_fast_path_head_is_closed_before_it_completes(server):
    connection = tls_connect(server.port)
    sent = trickle(connection, HEAD)
    assert sent is not None and sent < len(HEAD), "the server kept reading a trickled head"


def test_trickled_http1_head_is_closed_before_it_completes(server):
    head = (b"GET /private/index.yaml HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic eDp5\r\nX-Padding: "
            + b"a" * 60 + b"\r\n\r\n")
    connection = tls_connect(server.port)
    sent = trickle(connection, head)
    assert sent is not None and sent < len(head), "the server kept reading a trickled head"


def test_trickled_upload_body_is_closed_before_it_completes(server):
    connection = tls_connect(server.port, cert="ci-pusher")
    connection.sendall(b"POST /api/stable/charts HTTP/1.1\r\nHost: localhost\r\n"
                       b"Content-Type: application/gzip\r\nContent-Length: 200\r\n\r\n")
    sent = trickle(connection, b"x" * 200)
    assert sent is not None and sent < 200, "the server kept reading a trickled body"


def test_idle_connection_between_requests_is_closed(server):
    connection = tls_connect(server.port)
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert b" 200 " in connection.recv(65536).split(b"\r\n", 1)[0] + b" "
    # Nothing more is sent: the server closes after readTimeoutSeconds (3 s; bound 20 s).
    assert closed_by_peer(connection, 20)


def client_hello():
    """The first flight of a real TLS client, to send (or withhold) by hand."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = tls_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        client.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def test_trickled_handshake_is_closed_before_it_completes(server):
    hello = client_hello()
    assert len(hello) > 100
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sent = trickle(raw, hello)
    assert sent is not None and sent < len(hello), "the server kept reading a trickled ClientHello"


# --- 3. server.maxConnections ----------------------------------------------------------------

def test_connections_past_the_limit_are_refused_and_the_rest_served(server_factory):
    def limited(config):
        config["server"]["maxConnections"] = 4
        config["server"]["readTimeoutSeconds"] = 30
    server = server_factory(limited)
    held = [tls_connect(server.port) for _ in range(4)]
    for connection in held:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
    # The fifth is closed at accept: the handshake never gets an answer.
    refused = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    try:
        tls_context().wrap_socket(refused, server_hostname="localhost")
        raise AssertionError("a connection past maxConnections completed its handshake")
    except (ssl.SSLError, ConnectionError, OSError):
        pass
    # Refusing costs nothing that stays: a burst of refused connections leaves no descriptor behind.
    descriptors = len(os.listdir(f"/proc/{server.process.pid}/fd"))
    for _ in range(100):
        burst = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        assert closed_by_peer(burst, 20)
        burst.close()
    assert len(os.listdir(f"/proc/{server.process.pid}/fd")) < descriptors + 10
    # The held connections are still served.
    held[0].sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert held[0].recv(65536).startswith(b"HTTP/1.1 200")
    for connection in held:
        connection.close()
    # Once they are gone, new connections are accepted again (the server may take a moment to
    # see the closes: ask until it answers, bounded).
    deadline = time.monotonic() + 20
    while True:
        metrics = server.curl("/metrics", cert="admin")
        if metrics.status == 200 or time.monotonic() > deadline:
            break
    assert metrics.status == 200, metrics
    refusals = [line for line in metrics.body.decode().splitlines()
                if line.startswith("chartwarden_connections_refused_total")]
    assert refusals and float(refusals[0].split()[-1]) >= 1, refusals


def test_max_connections_is_parsed_strictly(chartwarden_bin, tmp_path):
    import subprocess
    import yaml
    from conftest import base_config
    for bad in [0, -1, "many", 10_000_000]:
        config = base_config(tmp_path / "data")
        config["server"]["maxConnections"] = bad
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(config))
        result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True,
                                text=True, timeout=30)
        assert result.returncode != 0, bad
        assert "server.maxConnections" in result.stderr + result.stdout, (bad, result.stderr)


# --- 4. refused client certificates are audited in aggregate ---------------------------------

def test_refused_client_certificates_are_audited_once_per_address_and_minute(server):
    refusals = 30
    first_minute = int(time.time() // 60)
    for _ in range(refusals):
        try:
            connection = tls_connect(server.port, cert="intruder", timeout=20)
            # TLS 1.3: the refusal arrives after the client's Finished; make it surface.
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            connection.recv(1024)
            connection.close()
        except (ssl.SSLError, ConnectionError, OSError):
            pass
    minutes = int(time.time() // 60) - first_minute + 1
    # The audit API writes what is aggregated before it answers; ask until it shows (bounded).
    deadline = time.monotonic() + 30
    while True:
        events = server.curl("/api/admin/audit?action=authenticate&limit=1000", cert="admin").json()["events"]
        rows = [e for e in events if e["detail"].get("reason") == "client-certificate"]
        total = sum(int(e["detail"].get("count", "1")) for e in rows)
        if total >= refusals or time.monotonic() > deadline:
            break
    assert total == refusals, rows
    # One row per address and minute (two if the minute rolled over during the flood).
    assert 1 <= len(rows) <= minutes, rows
    assert all(e["detail"]["address"] == "127.0.0.1" for e in rows), rows
    assert "unable to get local issuer" in rows[0]["detail"]["tls"], rows


# --- 5. follow-up review (#19): held input, half-closed connections, per-address cap ---------

def test_pipelining_nonstop_while_reading_a_little_is_not_read_ahead(server_factory, tmp_path):
    """A client that pipelines index GETs nonstop and reads ~33 KB per cycle toggles the channel's
    writability on every cycle. The server must read its requests only as fast as it answers
    them: before the fix it kept reading (and holding) everything the client sent."""
    server = server_factory(roomy_timeout)
    size = publish_big_index(server, tmp_path)
    request = b"GET /stable/index.yaml HTTP/1.1\r\nHost: localhost\r\n\r\n"
    chunk = request * 1_000
    connection = tls_connect(server.port)
    connection.setblocking(False)
    sent = received = 0
    limit = 24 * 1024 * 1024  # the old server took all of it
    deadline = time.monotonic() + 20
    while sent < limit and time.monotonic() < deadline:
        _, writable, _ = select.select([], [connection], [], 0.05)
        if writable:
            try:
                sent += connection.send(chunk)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
        readable, _, _ = select.select([connection], [], [], 0.01)
        if readable:
            try:
                received += len(connection.recv(33_000))
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
    connection.close()
    answered = received // size + 1
    print(f"sent {sent // 1024} KiB of requests, received {received // 1024} KiB ({answered} answers)")
    # What was read ahead of the answers fits in socket buffers, not in the server's memory.
    assert sent - answered * len(request) < 16 * 1024 * 1024, (sent, received)
    assert server.process.poll() is None


def open_descriptors(server):
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def test_connection_close_with_a_pipelined_request_is_closed(server):
    """`Connection: close` plus a second request in the same record: one answer, the output is
    half-closed (the client sees close_notify and FIN), and the second request stays counted in
    flight. The server must still close its side within the read timeout (3 s; bound 20 s), or
    2048 such connections fill maxConnections. Seen from the server: its descriptors return."""
    baseline = open_descriptors(server)
    connections = []
    for _ in range(10):
        connection = tls_connect(server.port)
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                           b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        connections.append(connection)  # kept open: the client never closes its side
    assert open_descriptors(server) >= baseline + 10
    deadline = time.monotonic() + 20
    while open_descriptors(server) > baseline + 2 and time.monotonic() < deadline:
        select.select([], [], [], 0.2)  # polling period, bounded by the deadline above
    remaining = open_descriptors(server) - baseline
    for connection in connections:
        connection.close()
    assert remaining <= 2, f"{remaining} half-closed connections still open on the server"


def connect_from(port, source):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.settimeout(20)
    raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    return tls_context().wrap_socket(raw, server_hostname="localhost")


def test_one_address_cannot_take_every_slot(server_factory):
    def limited(config):
        config["server"]["maxConnectionsPerAddress"] = 3
        config["server"]["readTimeoutSeconds"] = 30
    server = server_factory(limited)
    held = []
    for _ in range(3):
        connection = connect_from(server.port, "127.0.0.2")
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        held.append(connection)
    try:
        connect_from(server.port, "127.0.0.2")
        raise AssertionError("a fourth connection from one address completed its handshake")
    except (ssl.SSLError, ConnectionError, OSError):
        pass
    # Another address is still served.
    other = connect_from(server.port, "127.0.0.3")
    other.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert other.recv(65536).startswith(b"HTTP/1.1 200")
    other.close()
    for connection in held:
        connection.close()


def test_a_descriptor_limit_below_max_connections_is_refused_at_start(chartwarden_bin, tmp_path):
    import resource
    import subprocess
    import yaml
    from conftest import base_config
    config = base_config(tmp_path / "data")
    config["server"]["maxConnections"] = 2048
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True,
                            timeout=30, preexec_fn=low_limit)
    assert result.returncode != 0, result.stdout
    assert "server.maxConnections" in result.stderr + result.stdout, result.stderr
    assert "RLIMIT_NOFILE" in result.stderr + result.stdout, result.stderr


def test_pipelined_tiny_http1_requests_keep_memory_bounded(server_factory):
    """Tiny requests the fast path leaves to Hummingbird: one large read used to decode into
    thousands of requests buffered at once per connection. Their answers are small enough to sit
    in the socket buffers, so the server answers them all at full speed: the normal client waits
    for CPU (a debug build on a shared machine), not for memory; its bound is generous."""
    server = server_factory(roomy_timeout)
    request = b"GET /health HTTP/1.1\r\n\r\n"
    peak, served = pipeline_attack(server, request, ATTACK_CONNECTIONS, PIPELINED_REQUESTS, served_timeout=90)
    assert peak < MEMORY_BOUND, f"resident memory grew by {peak // (1024 * 1024)} MB"
    assert served == 200
    assert server.process.poll() is None
