"""CloudEvents webhooks on real sockets (README, "Webhooks"): the real server, and a loopback
receiver (webhook_receiver.py) that checks every delivery's HMAC with the configured secret and
drops repeated ids as a receiver should. Events come from the change journal written in each
change's own transaction, so a kill -9 after the 201 loses none."""
import base64
import datetime
import signal
import subprocess
import time

import pytest
import yaml

from conftest import PGP_KEYS, base_config, packaged, pgp_file
from webhook_receiver import Receiver, wait_until

SECRET = "whsec-0123456789abcdef-test"
EVENTS = ["chart.published", "chart.deleted", "chart.overwritten", "chart.quarantined", "chart.restored",
          "upload.rejected", "signer.trusted", "signer.distrusted", "signer.revoked"]


def with_webhook(url, **options):
    def mutate(config):
        config["webhooks"] = [{"url": url, "events": EVENTS, "secret": SECRET, **options}]
        config.setdefault("server", {})["publicURL"] = "https://charts.example"
    return mutate


def signed_repositories(config):
    """stable as usual, plus `signed`: provenance enforced with the revocable test keys."""
    keys = ["hard-revoked-signer", "rsa-signer"]
    config["repositories"].append({
        "name": "signed", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
        "provenance": {"mode": "enforce", "trustedKeys": [pgp_file(f"{key}.pub.asc") for key in keys]}})


def both(*mutations):
    def mutate(config):
        for mutation in mutations:
            mutation(config)
    return mutate


def push(server, repo, chart, prov=None, tmp_path=None, **options):
    if prov is None:
        return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + packaged(chart), cert="ci-pusher", **options)
    prov_path = tmp_path / (chart + ".prov")
    prov_path.write_bytes(prov)
    return server.curl(f"/api/{repo}/charts", "-F", f"chart=@{packaged(chart)}", "-F", f"prov=@{prov_path}",
                       cert="ci-pusher", **options)


def deliveries(server, query=""):
    result = server.curl("/api/admin/webhooks/deliveries" + query, cert="admin")
    assert result.status == 200, result
    return result.json()


@pytest.fixture
def receiver():
    receiver = Receiver(SECRET).start()
    yield receiver
    if receiver.server:
        try:
            receiver.stop()
        except Exception:
            pass


def test_an_upload_is_delivered_once_as_a_signed_cloudevent(server_factory, receiver):
    # Credentials and a query in the URL are the receiver's business: never shown by the API.
    url = receiver.url.replace("http://", "http://hook-user:hook-pass@") + "?token=query-secret"
    server = server_factory(with_webhook(url))
    assert push(server, "stable", "redis-lite-0.8.1.tgz").status == 201
    published = receiver.wait_for(lambda: receiver.unique("chart.published"), 30, "chart.published")
    delivery = receiver.deliveries[0]
    assert delivery.verified, delivery.headers
    assert delivery.headers["Content-Type"] == "application/cloudevents+json"
    # The URL's credentials arrive as Basic authentication, not in the request line.
    assert delivery.headers["Authorization"] == "Basic " + base64.b64encode(b"hook-user:hook-pass").decode()
    event = published[0]
    assert event["specversion"] == "1.0" and event["source"] == "https://charts.example/stable"
    assert event["subject"] == "redis-lite/0.8.1" and event["time"].endswith("Z") and event["id"]
    assert event["data"]["name"] == "redis-lite" and event["data"]["version"] == "0.8.1"
    assert event["data"]["actor"] == "cert:ci-pusher"

    # The deliveries API: admins only, the attempt with its status, the URL without credentials.
    assert server.curl("/api/admin/webhooks/deliveries").status == 401
    assert server.curl("/api/admin/webhooks/deliveries", cert="ci-pusher").status == 403
    page = receiver.wait_for(lambda: (lambda p: p if p["deliveries"] else None)(deliveries(server)), 10, "the attempt")
    attempt = page["deliveries"][0]
    assert attempt["eventID"] == event["id"] and attempt["type"] == "chart.published"
    assert attempt["statusCode"] == 200 and attempt["outcome"] == "delivered" and attempt["attempt"] == 1
    assert attempt["url"] == receiver.url
    listing = server.curl("/api/admin/webhooks/deliveries", cert="admin").body
    for secret in (b"hook-pass", b"query-secret", SECRET.encode()):
        assert secret not in listing
    assert page["pending"] == {receiver.url: 0}
    assert server.curl("/api/admin/webhooks/deliveries?limit=abc", cert="admin").status == 400
    assert SECRET not in server.log()
    metrics = server.curl("/metrics", cert="admin").body.decode()
    assert 'chartwarden_webhook_attempts_total{outcome="delivered"} 1' in metrics, metrics

    # Deleted: one more event; each id once.
    assert server.curl("/api/stable/charts/redis-lite/0.8.1", "-X", "DELETE", cert="admin").status == 200
    receiver.wait_for(lambda: receiver.unique("chart.deleted"), 30, "chart.deleted")
    assert len(receiver.events()) == len(receiver.unique()) == 2


def test_each_chart_of_a_revoked_signer_is_a_quarantined_event(server_factory, receiver, pgp, tmp_path):
    server = server_factory(both(signed_repositories, with_webhook(receiver.url, repositories=["signed"])))
    before = "20240601T000000"  # the committed revocation is dated 2025-01-01
    charts = ["webapp-1.0.0.tgz", "webapp-1.1.0.tgz"]
    for chart in charts:
        prov = pgp.prov(packaged(chart), "hard-revoked-signer", time=before)
        assert push(server, "signed", chart, prov, tmp_path).status == 201
    # An event of another repository is not for this receiver.
    assert push(server, "stable", "redis-lite-0.8.1.tgz").status == 201
    fingerprint = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    revoked = server.curl(f"/api/admin/signers/{fingerprint}/revocation", "--data-binary",
                          "@" + pgp_file("hard-revoked-signer.rev.asc"), cert="admin")
    assert revoked.status == 200 and len(revoked.json()["quarantined"]) == 2, revoked
    quarantined = receiver.wait_for(lambda: (lambda q: q if len(q) == 2 else None)(receiver.unique("chart.quarantined")),
                                    30, "two chart.quarantined")
    assert sorted(event["subject"] for event in quarantined) == ["webapp/1.0.0", "webapp/1.1.0"]
    assert all(event["source"] == "https://charts.example/signed" for event in quarantined)
    receiver.wait_for(lambda: receiver.unique("signer.revoked"), 30, "signer.revoked")
    assert all(d.verified for d in receiver.deliveries)
    # Concurrent attempts may arrive in any order.
    assert sorted(e["subject"] for e in receiver.unique("chart.published")) == ["webapp/1.0.0", "webapp/1.1.0"]


def test_a_rejected_upload_carries_its_failed_checks(server_factory, receiver, pgp, tmp_path):
    server = server_factory(both(signed_repositories, with_webhook(receiver.url)))
    chart = "redis-lite-0.8.2.tgz"
    refused = push(server, "signed", chart, pgp.prov(packaged(chart), "untrusted-signer"), tmp_path)
    failed = refused.json()["failedChecks"]
    assert refused.status == 403 and "trusted-signer" in failed, refused
    rejected = receiver.wait_for(lambda: receiver.unique("upload.rejected"), 30, "upload.rejected")[0]
    assert rejected["subject"] == "redis-lite/0.8.2" and rejected["data"]["actor"] == "cert:ci-pusher"
    # The event carries the same failed checks the uploader was told.
    assert rejected["data"]["detail"]["failedChecks"] == failed, rejected


def test_a_receiver_down_for_30_seconds_and_back_gets_every_event_once(server_factory, receiver):
    # The acceptance's outage: the receiver refuses connections until the server's own attempt
    # log spans 30 s, then comes back. Backoff is capped at 2 s; a refused connection is retried
    # by the HTTP client within the attempt's timeout (3 s), so each event sees several attempts;
    # the retry time (120 s) outlasts the outage.
    server = server_factory(with_webhook(receiver.url, maxIntervalSeconds=2, maxRetrySeconds=120, timeoutSeconds=3))
    receiver.stop()
    charts = ["redis-lite-0.8.1.tgz", "redis-lite-0.8.2.tgz", "webapp-1.0.0.tgz"]
    for chart in charts:
        assert push(server, "stable", chart).status == 201

    def outage_of_30_seconds():
        page = deliveries(server, "?limit=1000")
        times = [datetime.datetime.fromisoformat(d["at"].replace("Z", "+00:00")) for d in page["deliveries"]]
        return page if times and (max(times) - min(times)).total_seconds() >= 30 else None
    page = wait_until(outage_of_30_seconds, 60, "30 s of refused attempts")
    failed = page["deliveries"]
    assert all(d["outcome"] == "retrying" and d.get("statusCode") is None and d["error"] and d["nextAttemptAt"]
               for d in failed), failed
    assert len({d["eventID"] for d in failed}) == 3 and len(failed) >= 3 * 3, failed
    assert page["pending"] == {receiver.url: 3}
    receiver.start()
    receiver.wait_for(lambda: len(receiver.unique("chart.published")) == 3, 30, "every event after the outage")
    assert sorted(e["subject"] for e in receiver.unique()) == ["redis-lite/0.8.1", "redis-lite/0.8.2", "webapp/1.0.0"]
    assert all(d.verified for d in receiver.deliveries)
    wait_until(lambda: deliveries(server)["pending"] == {receiver.url: 0}, 10, "nothing pending")


def test_a_kill_between_the_201_and_the_delivery_still_delivers_after_restart(server_factory, receiver, tmp_path):
    mutate = with_webhook(receiver.url, maxIntervalSeconds=1)
    receiver.stop()
    server = server_factory(mutate, data_dir=tmp_path / "data")
    assert push(server, "stable", "redis-lite-0.8.1.tgz").status == 201
    # The receiver was down: nothing can have been delivered before the kill.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    receiver.start()
    restarted = server_factory(mutate, data_dir=tmp_path / "data")
    # Within the lease of an attempt the kill may have cut short (timeout 10 s + 5 s) plus backoff.
    events = receiver.wait_for(lambda: receiver.unique("chart.published"), 60, "the event after the restart")
    assert [e["subject"] for e in events] == ["redis-lite/0.8.1"]
    assert restarted.curl("/stable/index.yaml").status == 200


def test_a_receiver_that_never_answers_does_not_slow_uploads(server_factory):
    stuck = Receiver(SECRET).hang()
    # Each attempt may take 60 s; if an upload waited for a delivery, it would outlast curl's
    # bound below (the server's readTimeoutSeconds, 3, plus a margin for a loaded machine).
    server = server_factory(with_webhook(stuck.url, timeoutSeconds=60))
    charts = ["redis-lite-0.8.1.tgz", "redis-lite-0.8.2.tgz", "webapp-1.0.0.tgz", "webapp-1.1.0.tgz",
              "webapp-1.2.0.tgz", "common-lib-1.4.0.tgz"]
    for chart in charts:
        result = push(server, "stable", chart, timeout=20)
        assert result.status == 201, (chart, result)
    # The server still serves; the deliveries are owed (4 in flight, unanswered), none settled.
    assert server.curl("/stable/index.yaml", timeout=20).status == 200
    wait_until(lambda: deliveries(server)["pending"] == {stuck.url: len(charts)}, 10, "every event owed")
    assert deliveries(server)["deliveries"] == []
    stuck.hanging[0].close()


def test_two_replicas_on_one_database_deliver_each_event_once(server_factory, receiver, postgres_databases, tmp_path):
    """PostgreSQL: both replicas read the journal and claim due deliveries; the cursor moves
    only from where its reader saw it and a claim is `FOR UPDATE SKIP LOCKED`, so each event
    reaches the receiver once (no duplicate even before dedup), whichever replica sent it."""
    if postgres_databases is None:
        pytest.skip("several replicas share a PostgreSQL database only (CHARTWARDEN_TEST_BACKEND=postgres)")
    storage = postgres_databases.storage_for(tmp_path / "shared")

    def replica(config):
        with_webhook(receiver.url)(config)
        config["storage"]["postgres"] = storage
    first = server_factory(replica, data_dir=tmp_path / "a")
    second = server_factory(replica, data_dir=tmp_path / "b")
    charts = ["redis-lite-0.8.1.tgz", "redis-lite-0.8.2.tgz", "webapp-1.0.0.tgz", "webapp-1.1.0.tgz"]
    for index, chart in enumerate(charts):
        assert push(first if index % 2 else second, "stable", chart).status == 201
    receiver.wait_for(lambda: len(receiver.unique("chart.published")) == len(charts), 30, "every event")
    wait_until(lambda: deliveries(first)["pending"] == {receiver.url: 0}, 10, "nothing pending")
    assert len(receiver.events()) == len(charts), receiver.events()


# --- Regression tests of the hostile review (/work/wt/review4/hooks-findings.md) ---------------

@pytest.mark.parametrize("url", ["http://127.attacker.example/hook", "http://127.0.0.1.nip.io:8080/hook"])
def test_plain_http_to_a_name_that_starts_with_127_stops_startup(chartwarden_bin, tmp_path, url):
    """F2: a DNS name is not the loopback interface; events and signatures must not cross a network in clear."""
    config = base_config(tmp_path / "data")
    config["webhooks"] = [{"url": url, "events": ["chart.published"], "secret": SECRET}]
    path = tmp_path / "chartwarden.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "webhooks[0].url" in result.stderr, result.stderr
    assert SECRET not in result.stderr


def test_four_stuck_receivers_do_not_hold_back_a_healthy_one(server_factory, receiver):
    """F3: each receiver has slots of its own; four that never answer hold only theirs."""
    stuck = [Receiver(SECRET).hang() for _ in range(4)]

    def mutate(config):
        config["webhooks"] = [{"url": s.url.replace("/hooks/", f"/hooks{i}/"), "events": ["chart.published"],
                               "secret": SECRET, "timeoutSeconds": 60} for i, s in enumerate(stuck)] + [
            {"url": receiver.url, "events": ["chart.published"], "secret": SECRET}]
    server = server_factory(mutate)
    charts = ["redis-lite-0.8.1.tgz", "redis-lite-0.8.2.tgz", "webapp-1.0.0.tgz", "webapp-1.1.0.tgz", "common-lib-1.4.0.tgz"]
    for chart in charts:
        assert push(server, "stable", chart).status == 201
    # Well within the stuck attempts' 60 s timeout.
    receiver.wait_for(lambda: len(receiver.unique()) == len(charts), 20, "every event while four receivers hang")
    for hung in stuck:
        hung.hanging[0].close()


def test_a_webhook_back_after_an_absence_is_not_sent_events_older_than_its_retry_time(server_factory, receiver,
                                                                                         tmp_path):
    """F4: the cursor of a removed webhook stays; re-added later, it must not replay stale changes as new."""
    data = tmp_path / "data"
    hook = with_webhook(receiver.url, maxRetrySeconds=5)
    first = server_factory(hook, data_dir=data)
    assert push(first, "stable", "redis-lite-0.8.1.tgz").status == 201
    receiver.wait_for(lambda: receiver.unique("chart.published"), 20, "the first event")
    first.stop()
    second = server_factory(None, data_dir=data)  # the webhook is removed meanwhile
    assert push(second, "stable", "redis-lite-0.8.2.tgz").status == 201
    second.stop()
    time.sleep(6)  # not synchronisation: the change must be older than maxRetrySeconds (5 s)
    third = server_factory(hook, data_dir=data)
    assert push(third, "stable", "webapp-1.0.0.tgz").status == 201
    receiver.wait_for(lambda: any(e["subject"] == "webapp/1.0.0" for e in receiver.unique()), 20, "the new event")
    assert [e["subject"] for e in receiver.unique()] == ["redis-lite/0.8.1", "webapp/1.0.0"]


def test_narrowing_a_webhooks_scope_stops_what_it_is_still_owed(server_factory, receiver, tmp_path):
    """F5: the configuration in force decides what leaves, also for deliveries owed before a change."""
    receiver.stop()
    data = tmp_path / "data"
    first = server_factory(with_webhook(receiver.url, maxIntervalSeconds=1), data_dir=data)
    assert push(first, "private", "webapp-1.2.0.tgz").status == 201
    wait_until(lambda: deliveries(first)["deliveries"], 20, "a failed attempt")
    first.stop()
    second = server_factory(with_webhook(receiver.url, maxIntervalSeconds=1, repositories=["stable"]), data_dir=data)
    receiver.start()
    assert push(second, "stable", "redis-lite-0.8.1.tgz").status == 201
    receiver.wait_for(lambda: any(e["subject"] == "redis-lite/0.8.1" for e in receiver.unique()), 30, "the stable event")
    wait_until(lambda: deliveries(second)["pending"] == {receiver.url: 0}, 30, "nothing owed")
    assert [e for e in receiver.unique() if e["data"].get("repository") == "private"] == []
    dropped = [d for d in deliveries(second)["deliveries"] if d["outcome"] == "abandoned"]
    assert [d["error"] for d in dropped] == ["not sent: no longer wanted by the configuration"], dropped


def test_rotating_the_credentials_in_a_webhook_url_keeps_what_it_is_owed(server_factory, receiver, tmp_path):
    """F6: the receiver is its address, not its password: owed deliveries survive a rotation."""
    receiver.stop()
    data = tmp_path / "data"

    def hook(password):
        return with_webhook(receiver.url.replace("http://", f"http://hook:{password}@"), maxIntervalSeconds=1)
    first = server_factory(hook("old-password"), data_dir=data)
    assert push(first, "stable", "redis-lite-0.8.1.tgz").status == 201
    wait_until(lambda: deliveries(first)["deliveries"], 20, "a failed attempt")
    first.stop()
    second = server_factory(hook("new-password"), data_dir=data)
    receiver.start()
    assert push(second, "stable", "webapp-1.0.0.tgz").status == 201
    receiver.wait_for(lambda: {e["subject"] for e in receiver.unique()} == {"redis-lite/0.8.1", "webapp/1.0.0"}, 30,
                      "the event owed before the rotation and the new one")
    assert all(d.headers["Authorization"] == "Basic " + base64.b64encode(b"hook:new-password").decode()
               for d in receiver.deliveries if d.verified and d.event["subject"] == "webapp/1.0.0")


def test_a_receiver_that_refuses_connections_fails_fast_and_does_not_hold_back_others(server_factory, receiver):
    """F12 (and F3 without a hostile receiver): a refused connection is one failed attempt at once,
    retried by the webhook's backoff, not reconnected by the HTTP client until the timeout."""
    downs = [Receiver(SECRET).start() for _ in range(4)]
    for down in downs:
        down.stop()

    def mutate(config):
        config["webhooks"] = [{"url": d.url.replace("/hooks/", f"/hooks{i}/"), "events": ["chart.published"],
                               "secret": SECRET, "timeoutSeconds": 60} for i, d in enumerate(downs)] + [
            {"url": receiver.url, "events": ["chart.published"], "secret": SECRET}]
    server = server_factory(mutate)
    charts = ["redis-lite-0.8.1.tgz", "redis-lite-0.8.2.tgz", "webapp-1.0.0.tgz", "webapp-1.1.0.tgz", "common-lib-1.4.0.tgz"]
    for chart in charts:
        assert push(server, "stable", chart).status == 201
    # Liveness bounds far below the 60 s timeout of the down receivers' attempts.
    receiver.wait_for(lambda: len(receiver.unique()) == len(charts), 20, "every event while four receivers are down")
    refused = wait_until(lambda: [d for d in deliveries(server)["deliveries"] if d.get("error")], 10, "a refused attempt")
    assert all("refused" in d["error"] or "connection" in d["error"] for d in refused), refused
