"""Network fault drills (#16): 1,000 stalled clients, a certificate reload on SIGHUP under load,
and a flood of 2,000 handshakes with refused client certificates (memory and audit bounded)."""
import http.client
import os
import signal
import socket
import sqlite3
import ssl
import threading
import time

from conftest import Client, client_cert, client_hello, issue_certificate, resident_bytes, tls_context, tls_file, wait_for

STALLED = 1_000
SOURCE_ADDRESSES = 20  # 50 connections each, under maxConnectionsPerAddress (64)


def open_descriptors(server):
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def test_stalled_clients_leave_service_up_and_are_closed_by_the_read_timeout(server_factory):
    timeout = 10  # long enough to open every stalled connection before the first ones expire

    def patient(config):
        config["server"]["readTimeoutSeconds"] = timeout

    server = server_factory(patient)
    baseline = open_descriptors(server)
    half_hello = client_hello()[:100]
    held = []
    try:
        for number in range(STALLED):
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.settimeout(30)
            raw.bind((f"127.0.1.{number % SOURCE_ADDRESSES + 1}", 0))
            raw.connect(("127.0.0.1", server.port))
            if number % 2:
                raw.sendall(half_hello)  # an unfinished handshake
                held.append(raw)
            else:
                connection = tls_context().wrap_socket(raw, server_hostname="localhost")
                connection.sendall(b"GET /stable/index.yaml HTTP/1.1\r\nHost: loc")  # a partial head
                held.append(connection)
        opened = open_descriptors(server) - baseline
        # Meanwhile a normal client is served (liveness bound: the curl timeout, no timing assert).
        answer = server.curl("/stable/index.yaml", timeout=30)
        assert answer.status == 200, answer
        # The server closes every stalled connection by itself (the clients keep theirs open).
        wait_for(lambda: open_descriptors(server) <= baseline + 2, timeout + 45,
                 what="the server to close the stalled connections")
        print(f"{STALLED} stalled clients: {opened} open on the server at once, all closed by the read timeout")
        assert opened >= STALLED // 2, f"only {opened} stalled connections were ever open at once"
        assert server.process.poll() is None
    finally:
        for connection in held:
            connection.close()


# --- certificate reload -----------------------------------------------------------------------

def served_common_name(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with tls_context().wrap_socket(raw, server_hostname="localhost") as connection:
            subject = dict(item[0] for item in connection.getpeercert()["subject"])
            return subject["commonName"]


def test_certificate_reload_on_sighup_under_load_fails_no_request(server_factory, tmp_path):
    live = tmp_path / "live"
    fresh = tmp_path / "fresh"
    live.mkdir()
    fresh.mkdir()
    for name in ("server.crt", "server.key"):
        with open(tls_file(name), "rb") as source, open(live / name, "wb") as target:
            target.write(source.read())
    os.chmod(live / "server.key", 0o600)

    def from_live(config):
        config["server"]["tls"]["certificate"] = str(live / "server.crt")
        config["server"]["tls"]["privateKey"] = str(live / "server.key")

    server = server_factory(from_live)
    assert served_common_name(server.port) == "localhost"
    new_certificate, new_key = issue_certificate(fresh / "server", "reloaded.localhost")

    stop = threading.Event()
    lock = threading.Lock()
    done, failures = [0], []

    def load(fresh_connections):
        client = None
        while not stop.is_set():
            try:
                if client is None:
                    client = Client(server.port, timeout=30)
                status, _ = client.request("GET", "/stable/index.yaml")
                with lock:
                    done[0] += 1
                    if status != 200:
                        failures.append(status)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures.append(repr(error))
                client = None
            if fresh_connections and client is not None:
                client.close()
                client = None
        if client is not None:
            client.close()

    threads = [threading.Thread(target=load, args=(number % 2 == 0,), daemon=True) for number in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: done[0] >= 50, 60, what="50 requests before the reload")
        os.replace(new_key, live / "server.key")
        os.replace(new_certificate, live / "server.crt")
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: served_common_name(server.port) == "reloaded.localhost", 30,
                 what="new connections to see the new certificate")
        reloaded_at = done[0]
        wait_for(lambda: done[0] >= reloaded_at + 50, 60, what="50 requests after the reload")
        # A half-done rotation (the old certificate back, the new key kept: a mismatched pair) is
        # refused on SIGHUP and the working pair stays in use.
        with open(tls_file("server.crt"), "rb") as source, open(live / "server.crt", "wb") as target:
            target.write(source.read())
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "TLS reload failed" in server.log(), 30, what="the mismatched pair to be refused")
        assert served_common_name(server.port) == "reloaded.localhost"
        refused_at = done[0]
        wait_for(lambda: done[0] >= refused_at + 50, 60, what="50 requests after the refused reload")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    print(f"certificate reload: {done[0]} GETs, {len(failures)} failed")
    assert not failures, failures[:10]
    assert "TLS certificate and key reloaded" in server.log()
    assert server.process.poll() is None


# --- handshake flood --------------------------------------------------------------------------

FLOOD = 2_000
FLOOD_THREADS = 4
MEMORY_BOUND = 20 * 1024 * 1024


def refused_handshake(port, context):
    try:
        connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                                         server_hostname="localhost")
        # TLS 1.3: the refusal arrives after the client's Finished; make it surface.
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = connection.recv(1024)
        connection.close()
        return not answer.startswith(b"HTTP/")
    except (ssl.SSLError, ConnectionError, OSError):
        return True


def audit_rows(server):
    """The client-certificate refusals in the audit, through the admin API (which writes what is
    aggregated before it answers)."""
    events = server.curl("/api/admin/audit?action=authenticate&limit=1000", cert="admin").json()["events"]
    return [event for event in events if event["detail"].get("reason") == "client-certificate"]


def test_flood_of_refused_client_certificates_keeps_memory_and_audit_bounded(server):
    database = os.path.join(server.config["storage"]["dataDir"], "chartwarden.sqlite")
    assert server.curl("/stable/index.yaml").status == 200
    rows_before = sqlite3.connect(database).execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
    baseline = resident_bytes(server.process.pid)
    contexts = []
    for name in ("intruder", "expired"):  # another CA's certificate; one of ours, expired
        context = tls_context()
        context.load_cert_chain(*client_cert(name))
        contexts.append(context)
    refused = [0] * FLOOD_THREADS
    first_minute = int(time.time() // 60)

    def flood(number):
        for attempt in range(FLOOD // FLOOD_THREADS):
            refused[number] += refused_handshake(server.port, contexts[attempt % 2])

    threads = [threading.Thread(target=flood, args=(number,)) for number in range(FLOOD_THREADS)]
    for thread in threads:
        thread.start()
    peak = 0
    polls = 0
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, resident_bytes(server.process.pid) - baseline)
        # An administrator polling the audit meanwhile sees the refusals so far, without
        # splitting a minute into one row per poll.
        polled = audit_rows(server)
        assert all(event.get("pending") or event["id"] for event in polled), polled
        polls += 1
        threads[0].join(0.1)  # sampling period
    for thread in threads:
        thread.join()
    peak = max(peak, resident_bytes(server.process.pid) - baseline)
    minutes = int(time.time() // 60) - first_minute + 1
    assert sum(refused) == FLOOD, f"only {sum(refused)} of {FLOOD} handshakes were refused"

    rows = wait_for(lambda: (lambda found: found if sum(int(e["detail"]["count"]) for e in found) >= FLOOD else None)(
        audit_rows(server)), 30, what="the refusals in the audit")
    rows_after = sqlite3.connect(database).execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
    print(f"{FLOOD} refused handshakes: resident memory +{peak / (1024 * 1024):.1f} MB at peak, "
          f"{len(rows)} audit rows ({rows_after - rows_before} rows added in all) over {minutes} minute(s)")
    assert peak < MEMORY_BOUND, f"resident memory grew by {peak / (1024 * 1024):.1f} MB"
    assert sum(int(event["detail"]["count"]) for event in rows) == FLOOD, rows
    assert 1 <= len(rows) <= minutes, rows
    assert rows_after - rows_before <= minutes, (rows_before, rows_after, polls)
    assert all(event["detail"]["address"] == "127.0.0.1" for event in rows), rows
    reasons = "; ".join(event["detail"]["tls"] for event in rows)
    assert "unable to get local issuer" in reasons and "expired" in reasons, reasons
    assert server.process.poll() is None
