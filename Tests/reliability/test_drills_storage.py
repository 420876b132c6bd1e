"""Storage fault drills (#16): kill -9 under concurrent uploads, racing uploads of one version, a
full disk. Each one checks what a client was told against what the server serves afterwards:
everything acknowledged (201) is there byte for byte, nothing is half visible, no 5xx but for
the full disk's, which is JSON and names no path."""
import errno
import http.client
import json
import os
import sqlite3
import subprocess
import threading

import pytest
import yaml

from conftest import Client, make_chart, wait_for

CYCLES = 3
UPLOADERS = 4
ACKNOWLEDGED_PER_CYCLE = 150


def served_versions(client, name, repo="stable"):
    status, body = client.request("GET", f"/{repo}/index.yaml")
    assert status == 200, (status, body[:300])
    entries = (yaml.safe_load(body) or {}).get("entries") or {}
    return {entry["version"]: entry for entry in entries.get(name, [])}


def assert_consistent(server, name, acknowledged, attempted):
    """Every acknowledged version is in the index and downloads byte for byte; every other version
    that was sent is all there (index, download, API) or not there at all."""
    client = Client(server.port)
    try:
        index = served_versions(client, name)
        status, body = client.request("GET", f"/api/stable/charts/{name}")
        listed = {entry["version"] for entry in json.loads(body)} if status == 200 else set()
        assert listed == set(index), ("API list and index disagree", sorted(listed ^ set(index)))
        missing = sorted(set(acknowledged) - set(index))
        assert not missing, f"acknowledged uploads lost: {missing}"
        for version, chart in attempted.items():
            status, body = client.request("GET", f"/stable/charts/{name}-{version}.tgz")
            if version in index:
                assert status == 200 and body == chart, (version, status, "bytes differ" if status == 200 else body)
            else:
                assert status == 404, f"{version}: not in the index but the download answers {status}"
        unknown = set(index) - set(attempted)
        assert not unknown, f"versions nobody sent: {unknown}"
    finally:
        client.close()
    return index


def blobs_on_disk(data):
    """(digests of the rows, digests of the blob files) under the data directory."""
    with sqlite3.connect(os.path.join(data, "chartwarden.sqlite")) as database:
        rows = {digest.removeprefix("sha256:") for (digest,) in database.execute(
            "SELECT digest FROM chart_versions UNION SELECT provenanceDigest FROM chart_versions "
            "WHERE provenanceDigest IS NOT NULL")}
    files = {name for _, _, names in os.walk(os.path.join(data, "blobs", "sha256")) for name in names}
    return rows, files


def test_kill_9_under_concurrent_uploads_loses_nothing_acknowledged(server_factory, tmp_path):
    data = tmp_path / "data"
    acknowledged, attempted, refused = {}, {}, []
    lock = threading.Lock()
    for cycle in range(CYCLES):
        server = server_factory(data_dir=data)
        assert_consistent(server, "drill", acknowledged, attempted)
        stop = threading.Event()
        acknowledged_now = []

        def uploader(number):
            client = Client(server.port, cert="ci-pusher", timeout=30)
            sequence = 0
            while not stop.is_set():
                version = f"{cycle}.{number}.{sequence}"
                sequence += 1
                chart = make_chart("drill", version, padding=os.urandom(4096))
                with lock:
                    attempted[version] = chart
                try:
                    status, body = client.upload(chart)
                except (OSError, http.client.HTTPException):
                    return  # the server died with this upload in flight: not acknowledged
                with lock:
                    if status == 201:
                        acknowledged[version] = chart
                        acknowledged_now.append(version)
                    else:
                        refused.append((version, status, body[:200]))

        threads = [threading.Thread(target=uploader, args=(number,), daemon=True) for number in range(UPLOADERS)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(acknowledged_now) >= ACKNOWLEDGED_PER_CYCLE or refused, 120,
                 what=f"{ACKNOWLEDGED_PER_CYCLE} acknowledged uploads")
        server.process.kill()  # SIGKILL with uploads in flight
        server.process.wait()
        stop.set()
        for thread in threads:
            thread.join(60)
        assert not refused, f"uploads refused before the kill: {refused}"
    final = server_factory(data_dir=data)
    index = assert_consistent(final, "drill", acknowledged, attempted)
    rows, files = blobs_on_disk(data)
    assert rows <= files, f"rows whose blob is missing: {sorted(rows - files)[:5]}"
    print(f"blobs without a row (written, never committed, never served): {len(files - rows)}")
    print(f"{CYCLES} kill -9 cycles x {UPLOADERS} uploaders: {len(acknowledged)} acknowledged, "
          f"{len(attempted) - len(acknowledged)} in flight at a kill, of which {len(index) - len(acknowledged)} landed")
    assert final.process.poll() is None


def test_sixteen_racing_uploads_of_one_version_give_one_201(server):
    racers = 16
    charts = [make_chart("race", "1.0.0", padding=f"racer {number}\n".encode()) for number in range(racers)]
    clients = [Client(server.port, cert="ci-pusher") for _ in range(racers)]
    for client in clients:
        client.connection.connect()  # handshakes done before the start line
    start = threading.Barrier(racers)
    statuses = [None] * racers

    def race(number):
        start.wait(timeout=60)
        statuses[number] = clients[number].upload(charts[number])

    threads = [threading.Thread(target=race, args=(number,)) for number in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    codes = sorted(status for status, _ in statuses)
    assert codes == [201] + [409] * (racers - 1), statuses
    winner = next(number for number, (status, _) in enumerate(statuses) if status == 201)
    for status, body in statuses:
        if status == 409:
            assert "error" in json.loads(body), body
    status, body = clients[0].request("GET", "/stable/charts/race-1.0.0.tgz")
    assert status == 200 and body == charts[winner]
    assert list(served_versions(clients[0], "race")) == ["1.0.0"]
    for client in clients:
        client.close()


# --- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """An 8 MiB tmpfs, mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("the full-disk drill mounts an 8 MiB tmpfs as the data directory: run the suite as root")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"the full-disk drill needs `mount -t tmpfs`, which failed here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(path):
    """Writes `path` until the file system is full, in smaller writes towards the end."""
    with open(path, "wb", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            while True:
                try:
                    handle.write(b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break


def test_full_disk_answers_json_5xx_keeps_everything_and_recovers(small_disk, server_factory):
    server = server_factory(data_dir=small_disk / "data")
    pid = server.process.pid
    client = Client(server.port, cert="ci-pusher")
    acknowledged = {}
    for number in range(3):
        chart = make_chart("roomy", f"1.0.{number}", padding=os.urandom(200_000))
        status, body = client.upload(chart)
        assert status == 201, (status, body)
        acknowledged[f"1.0.{number}"] = chart

    fillers = []
    failed = {}
    for number in range(4):
        fillers.append(small_disk / f"filler{number}")
        fill(fillers[-1])
        version = f"2.0.{number}"
        chart = make_chart("roomy", version, padding=os.urandom(300_000))
        if number % 2:
            # Room for the blob but not for SQLite's commit: the metadata write fails instead.
            os.truncate(fillers[0], os.path.getsize(fillers[0]) - len(chart) - 4096)
        status, body = client.upload(chart)
        assert 500 <= status < 600, f"an upload to a full disk answered {status}: {body[:300]}"
        error = json.loads(body)["error"]
        assert "/" not in error and str(small_disk) not in body.decode(errors="replace"), body
        failed[version] = chart
    print(f"full disk: uploads answered {status} {body.decode(errors='replace')}")
    # Reads still work, and what was acknowledged is intact.
    index = assert_consistent(server, "roomy", acknowledged, {**acknowledged, **failed})
    assert set(index) == set(acknowledged)

    for filler in fillers:
        os.remove(filler)
    # Space is back: the same uploads now succeed, on the same process.
    for version, chart in failed.items():
        status, body = client.upload(chart)
        assert status == 201, (version, status, body)
        acknowledged[version] = chart
    assert_consistent(server, "roomy", acknowledged, acknowledged)
    assert server.process.pid == pid and server.process.poll() is None
    client.close()
