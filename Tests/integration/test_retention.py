"""Bounded growth on disk (#16): `audit.retentionDays` prunes old audit rows and the verdicts of
refused uploads while stored charts stay; the start-up sweep removes a blob no row references
(left by a kill -9 between a blob's write and its row's commit)."""
import hashlib
import os
import sqlite3
import time

from conftest import FIXTURES, packaged

REFUSED = os.path.join(FIXTURES, "policy", "cluster-admin-grab-1.0.0.tgz")
RETENTION_SECONDS = 3


def database(server):
    return sqlite3.connect(os.path.join(server.config["storage"]["dataDir"], "chartwarden.sqlite"))


def count(server, sql, *arguments):
    with database(server) as connection:
        return connection.execute(sql, arguments).fetchone()[0]


def wait_for(condition, deadline_seconds, what):
    end = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_seconds} s waiting for {what}")
        time.sleep(0.2)  # polling period, bounded by the deadline above


def test_a_tiny_retention_prunes_history_and_keeps_charts(server_factory):
    def tiny_retention(config):
        config["audit"] = {"retentionDays": RETENTION_SECONDS / 86_400}
    server = server_factory(tiny_retention)
    stored = server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"), cert="ci-pusher")
    assert stored.status == 201, stored
    refused = server.curl("/api/stable/charts", "--data-binary", "@" + REFUSED, cert="ci-pusher")
    assert refused.status == 403, refused
    assert count(server, "SELECT COUNT(*) FROM content_verdicts WHERE chartVersionID IS NULL") == 1
    last_event = count(server, "SELECT MAX(id) FROM audit_events")
    assert last_event >= 2

    # Pruned in the background (a pass every second at this retention), with no request.
    wait_for(lambda: count(server, "SELECT COUNT(*) FROM audit_events WHERE id <= ?", last_event) == 0, 60,
             "the old audit rows to be pruned")
    wait_for(lambda: count(server, "SELECT COUNT(*) FROM content_verdicts WHERE chartVersionID IS NULL") == 0, 60,
             "the refused upload's verdict to be pruned")
    # The stored chart, and the verdict that let it in, stay whatever their age.
    assert count(server, "SELECT COUNT(*) FROM content_verdicts WHERE chartVersionID IS NOT NULL") == 1
    download = server.curl("/stable/charts/redis-lite-0.8.1.tgz")
    assert download.status == 200 and download.body == open(packaged("redis-lite-0.8.1.tgz"), "rb").read()
    assert "redis-lite" in server.curl("/stable/index.yaml").body.decode()
    metrics = server.curl("/metrics", cert="admin").body.decode()
    pruned = [line for line in metrics.splitlines() if line.startswith("chartwarden_retention_pruned_total")]
    assert pruned and float(pruned[0].split()[-1]) >= 3, pruned


def test_an_unreferenced_blob_is_swept_at_start_and_stored_charts_stay(server_factory, tmp_path):
    data = tmp_path / "data"
    first = server_factory(data_dir=data)
    chart = open(packaged("redis-lite-0.8.1.tgz"), "rb").read()
    assert first.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"),
                      cert="ci-pusher").status == 201
    first.stop()
    # What a kill -9 between the blob's fsync and the row's commit leaves: a complete blob under
    # its digest that no row names.
    orphan_bytes = b"an upload whose row never committed\n"
    digest = hashlib.sha256(orphan_bytes).hexdigest()
    orphan = data / "blobs" / "sha256" / digest[:2] / digest
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(orphan_bytes)

    second = server_factory(data_dir=data)
    second.wait_for_orphan_sweep()
    assert not orphan.exists(), "the unreferenced blob is still there after start-up"
    download = second.curl("/stable/charts/redis-lite-0.8.1.tgz")
    assert download.status == 200 and download.body == chart
    stored = data / "blobs" / "sha256" / hashlib.sha256(chart).hexdigest()[:2] / hashlib.sha256(chart).hexdigest()
    assert stored.exists()
