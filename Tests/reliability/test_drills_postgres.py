"""PostgreSQL fault drills (#14, "Faults"), on a private cluster each test starts and stops
itself (scripts/postgres.sh) so that it can stop the database under a running ChartWarden:

- PostgreSQL stopped (fast, then immediate) and restarted during uploads: every upload that got
  201 is there afterwards, index and bytes; reads of content already served never fail while it
  is down; writes (uploads, admin changes, OCI pushes, token creation) and token authentication
  get 503 with a JSON error and Retry-After, never a hang; /ready says 503 and comes back;
  /health stays up; writes succeed again once the database is back, with no restart of
  ChartWarden.
- Two servers on one database, kill -9 of one during uploads through both: everything either
  acknowledged is served afterwards, and the survivor's uploads go on.

Skipped where Debian's PostgreSQL server binaries are missing (scripts/setup.sh installs them)."""
import datetime
import glob
import hashlib
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import pytest
import yaml

from conftest import Client, client_cert, make_chart, tls_file, wait_for
from integration_harness import TOP

POSTGRES_SH = os.path.join(TOP, "scripts", "postgres.sh")
# Bounds of the drills: long enough for a debug build on a loaded machine, never waited in full
# unless something is wrong.
OUTAGE_SECONDS = 60
UPLOADERS = 3
# A request during the outage must be answered, not held: the server's connect timeout (5 s)
# and answer deadline (12 s) are well under this.
NO_HANG_SECONDS = 30
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Cluster:
    """A private PostgreSQL cluster in `directory`: `url` (without the password) and a
    password file, as a deployment configures `storage.postgres`."""

    def __init__(self, directory, scratch):
        self.directory = str(directory)
        started = subprocess.run([POSTGRES_SH, "start", self.directory], capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        parsed = urllib.parse.urlsplit(started.stdout.strip())
        self.password_file = os.path.join(str(scratch), "postgres-password")
        with open(self.password_file, "w") as handle:
            handle.write(urllib.parse.unquote(parsed.password) + "\n")
        self.url = urllib.parse.urlunsplit(
            (parsed.scheme, f"{parsed.username}@{parsed.hostname}:{parsed.port}", parsed.path, "", ""))

    def halt(self, mode):
        subprocess.run([POSTGRES_SH, "halt", self.directory, mode], check=True, capture_output=True, timeout=120)

    def resume(self):
        subprocess.run([POSTGRES_SH, "resume", self.directory], check=True, capture_output=True, timeout=120)

    def remove(self):
        subprocess.run([POSTGRES_SH, "stop", self.directory], capture_output=True, timeout=120)

    def storage(self):
        return {"url": self.url, "passwordFile": self.password_file}


@pytest.fixture
def cluster(tmp_path):
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and not os.environ.get("CHARTWARDEN_POSTGRES_BIN"):
        pytest.skip("no PostgreSQL server binaries (apt-get install postgresql; scripts/setup.sh does)")
    # Outside pytest's owner-only directories: as root, the cluster runs as another user, who
    # must reach its directory.
    cluster = Cluster(os.path.join(tempfile.gettempdir(), f"cw-pg-drill-{uuid.uuid4().hex[:12]}"), tmp_path)
    yield cluster
    cluster.remove()


def on_cluster(cluster, tokens=False):
    def mutate(config):
        config["storage"]["postgres"] = cluster.storage()
        if tokens:
            config["repositories"][2]["read"].append("token:viewer")
    return mutate


def request(port, method, path, body=None, headers=None, cert=None, timeout=NO_HANG_SECONDS):
    """(status, headers, body) of one request on a new connection."""
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    if cert:
        context.load_cert_chain(*client_cert(cert))
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_unavailable(answer, what):
    """503, a JSON error that names nothing inside, and Retry-After."""
    status, headers, body = answer
    assert status == 503, f"{what}: {status} {body[:300]!r}"
    assert int(headers.get("retry-after", "0")) > 0, f"{what}: no Retry-After in {headers}"
    document = json.loads(body)
    text = json.dumps(document)
    assert "127.0.0.1" not in text and "postgres" not in text.lower() and "/" not in text, f"{what}: {text}"
    return document


class Uploads:
    """Uploaders sending new versions of one chart until stopped; what each answer was."""

    def __init__(self, port, name, uploaders=UPLOADERS):
        self.port, self.name = port, name
        self.lock = threading.Lock()
        self.attempted, self.acknowledged = {}, {}
        self.answers = []  # (uploader, version, status, retry-after, body) in arrival order per uploader
        self.problems = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(uploaders)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def run(self, number):
        sequence = 0
        while not self.stop.is_set():
            version = f"1.{number}.{sequence}"
            sequence += 1
            chart = make_chart(self.name, version, padding=os.urandom(2048))
            with self.lock:
                self.attempted[version] = chart
            try:
                status, headers, body = request(self.port, "POST", "/api/stable/charts", body=chart, cert="ci-pusher")
            except (OSError, http.client.HTTPException) as error:
                # No answer (the server was killed with this upload in flight): not acknowledged.
                with self.lock:
                    self.answers.append((number, version, None, None, repr(error).encode()))
                continue
            with self.lock:
                self.answers.append((number, version, status, headers.get("retry-after"), body[:300]))
                if status == 201:
                    self.acknowledged[version] = chart
            if status == 503:
                try:
                    assert_unavailable((status, headers, body), f"upload {version}")
                except AssertionError as problem:
                    with self.lock:
                        self.problems.append(str(problem))
                time.sleep(0.05)  # a client's back-off (shorter than Retry-After), not synchronisation

    def count(self, status, after=0):
        with self.lock:
            return sum(1 for answer in self.answers[after:] if answer[2] == status)

    def mark(self):
        with self.lock:
            return len(self.answers)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(NO_HANG_SECONDS + 30)
        assert not any(thread.is_alive() for thread in self.threads), "an upload hung"
        assert not self.problems, self.problems[:5]


class Readers:
    """Readers of content served before the outage, checking every answer: downloads are 200
    with the same bytes; the index is 200 and lists every version acknowledged before the read."""

    def __init__(self, port, downloads, uploads):
        self.port, self.uploads = port, uploads
        self.expected = {path: request(port, "GET", path)[2] for path in downloads}
        self.failures, self.count = [], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def run(self):
        client = Client(self.port, timeout=NO_HANG_SECONDS)
        while not self.stop.is_set():
            for path in ["/stable/index.yaml", *self.expected]:
                with self.uploads.lock:
                    acknowledged = set(self.uploads.acknowledged)
                try:
                    status, body = client.request("GET", path)
                except (OSError, http.client.HTTPException) as error:
                    self.failures.append((path, repr(error)))
                    client.close()
                    client = Client(self.port, timeout=NO_HANG_SECONDS)
                    continue
                self.count += 1
                if status != 200:
                    self.failures.append((path, status, body[:200]))
                elif path in self.expected and body != self.expected[path]:
                    self.failures.append((path, "other bytes"))
                elif path not in self.expected:
                    entries = (yaml.load(body, Loader=LOADER) or {}).get("entries") or {}
                    missing = acknowledged - {entry["version"] for entry in entries.get(self.uploads.name, [])}
                    if missing:
                        self.failures.append((path, "acknowledged versions not listed", sorted(missing)[:5]))
        client.close()

    def finish(self):
        self.stop.set()
        self.thread.join(NO_HANG_SECONDS + 30)


def ready_status(port):
    return request(port, "GET", "/ready")[0]


def token_request(server, name, repositories, actions):
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return request(server.port, "POST", "/api/admin/tokens", cert="admin",
                   body=json.dumps({"name": name, "repositories": repositories, "actions": actions,
                                    "expiresAt": expires}).encode(),
                   headers={"Content-Type": "application/json"})


def served(port, name):
    status, _, body = request(port, "GET", "/stable/index.yaml")
    assert status == 200
    return {entry["version"] for entry in ((yaml.safe_load(body) or {}).get("entries") or {}).get(name, [])}


def assert_all_served(port, name, acknowledged):
    index = served(port, name)
    missing = sorted(set(acknowledged) - index)
    assert not missing, f"acknowledged uploads lost: {missing[:10]} ({len(missing)})"
    client = Client(port)
    try:
        for version, chart in acknowledged.items():
            status, body = client.request("GET", f"/stable/charts/{name}-{version}.tgz")
            assert status == 200 and body == chart, (version, status)
    finally:
        client.close()


def test_postgresql_stopped_and_restarted_during_uploads(server_factory, cluster, tmp_path):
    server = server_factory(on_cluster(cluster, tokens=True))
    pid = server.process.pid
    viewer_status, _, viewer_body = token_request(server, "viewer", ["private"], ["read"])
    assert viewer_status == 201, viewer_body
    viewer = json.loads(viewer_body)["token"]
    seed = make_chart("seed", "1.0.0", padding=os.urandom(1024))
    assert request(server.port, "POST", "/api/stable/charts", body=seed, cert="ci-pusher")[0] == 201
    assert request(server.port, "POST", "/api/private/charts", body=seed, cert="ci-pusher")[0] == 201
    assert ready_status(server.port) == 200

    uploads = Uploads(server.port, "drill").start()
    wait_for(lambda: uploads.count(201) >= 10, OUTAGE_SECONDS, what="uploads before the outage")
    # Content served before the outage: from memory while the database is down.
    first = sorted(uploads.acknowledged)[0]
    readers = Readers(server.port, ["/stable/charts/seed-1.0.0.tgz", f"/stable/charts/drill-{first}.tgz"],
                      uploads).start()

    for mode in ["fast", "immediate"]:
        # A version acknowledged but never downloaded: its bytes are not in memory.
        with uploads.lock:
            never_downloaded = next(version for version in sorted(uploads.acknowledged) if version != first)
        cluster.halt(mode)
        wait_for(lambda: ready_status(server.port) == 503, OUTAGE_SECONDS, what=f"/ready to say 503 ({mode})")
        status, headers, body = request(server.port, "GET", "/ready")
        assert status == 503 and json.loads(body)["ready"] is False and json.loads(body)["reason"], body
        assert request(server.port, "GET", "/health")[0] == 200
        during = uploads.mark()
        wait_for(lambda: uploads.count(503, after=during) >= 3, OUTAGE_SECONDS, what=f"uploads answered 503 ({mode})")

        # What is not in memory cannot be served: a clear 503, not a 404 or a 500.
        assert_unavailable(request(server.port, "GET", f"/stable/charts/drill-{never_downloaded}.tgz"),
                           "a download not cached")
        # Every kind of write gets the same clear answer, and so does authentication by token.
        fresh = make_chart("drill", f"9.9.{len(mode)}", padding=os.urandom(512))
        assert_unavailable(request(server.port, "POST", "/api/stable/charts", body=fresh, cert="ci-pusher"), "upload")
        assert_unavailable(request(server.port, "DELETE", "/api/stable/charts/seed/1.0.0", cert="admin"), "delete")
        assert_unavailable(token_request(server, "late", ["stable"], ["read"]), "token creation")
        assert_unavailable(request(server.port, "GET", "/private/index.yaml",
                                   headers={"Authorization": f"Bearer {viewer}"}), "token authentication")
        blob = os.urandom(64)
        oci = request(server.port, "POST", f"/v2/stable/drill/blobs/uploads/?digest=sha256:{hashlib.sha256(blob).hexdigest()}",
                      body=blob, cert="ci-pusher", headers={"Content-Length": str(len(blob))})
        assert oci[0] == 503 and int(oci[1].get("retry-after", "0")) > 0, oci
        assert [entry["code"] for entry in json.loads(oci[2])["errors"]] == ["UNAVAILABLE"], oci

        cluster.resume()
        wait_for(lambda: ready_status(server.port) == 200, OUTAGE_SECONDS, what=f"/ready to come back ({mode})")
        back = uploads.mark()
        wait_for(lambda: uploads.count(201, after=back) >= 5 * UPLOADERS, OUTAGE_SECONDS,
                 what=f"uploads to succeed again ({mode})")
        with uploads.lock:
            after = uploads.answers[back:]
        # Once the database answered /ready again, only uploads in flight across the return may
        # have failed: at most one per uploader.
        failed = [answer for answer in after if answer[2] != 201]
        assert len(failed) <= UPLOADERS, failed

    uploads.finish()
    readers.finish()
    assert readers.count > 0 and not readers.failures, readers.failures[:5]
    statuses = {answer[2] for answer in uploads.answers}
    assert statuses <= {201, 503}, [answer for answer in uploads.answers if answer[2] not in (201, 503)][:5]
    assert server.process.poll() is None and server.process.pid == pid, "ChartWarden was restarted"
    assert_all_served(server.port, "drill", uploads.acknowledged)
    # And the database holds them: a new server on it serves the same.
    second = server_factory(on_cluster(cluster), data_dir=tmp_path / "second")
    assert_all_served(second.port, "drill", uploads.acknowledged)
    print(f"{len(uploads.acknowledged)} acknowledged, {uploads.count(503)} answered 503, "
          f"{readers.count} reads while uploading, none failed")


def test_kill_9_of_one_of_two_replicas_loses_nothing_acknowledged(server_factory, cluster, tmp_path):
    first = server_factory(on_cluster(cluster), data_dir=tmp_path / "first")
    survivor = server_factory(on_cluster(cluster), data_dir=tmp_path / "survivor")
    through_first = Uploads(first.port, "killed").start()
    through_survivor = Uploads(survivor.port, "lived").start()
    wait_for(lambda: through_first.count(201) >= 40, OUTAGE_SECONDS * 2, what="uploads through the first replica")
    first.process.kill()  # SIGKILL with uploads in flight
    first.process.wait()
    through_first.finish()
    # The survivor goes on: locks the dead replica held went with its connections.
    mark = through_survivor.mark()
    wait_for(lambda: through_survivor.count(201, after=mark) >= 20, OUTAGE_SECONDS,
             what="uploads through the survivor after the kill")
    through_survivor.finish()
    assert {answer[2] for answer in through_survivor.answers} == {201}, through_survivor.answers[:5]
    assert all(answer[2] in (201, None) for answer in through_first.answers), \
        [answer for answer in through_first.answers if answer[2] not in (201, None)][:5]
    assert_all_served(survivor.port, "lived", through_survivor.acknowledged)
    # What the killed replica acknowledged is in the database: a replica started after the kill
    # serves it (the survivor learns of other replicas' changes through notifications, #14 item 2).
    restarted = server_factory(on_cluster(cluster), data_dir=tmp_path / "restarted")
    assert_all_served(restarted.port, "killed", through_first.acknowledged)
    assert_all_served(restarted.port, "lived", through_survivor.acknowledged)
    print(f"killed replica: {len(through_first.acknowledged)} acknowledged; "
          f"survivor: {len(through_survivor.acknowledged)}")
