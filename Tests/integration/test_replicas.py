"""Several replicas on one PostgreSQL database (README, "Running several replicas"; issue 14):
every change committed through one replica reaches the others' in-memory indexes through the
change journal and LISTEN/NOTIFY, trust included; a replica whose listening connection dies
reconnects and catches up. Skipped without a PostgreSQL server (CHARTWARDEN_TEST_POSTGRES_URL;
scripts/test.sh starts a private cluster)."""
import datetime
import json
import os
import socket
import subprocess
import threading
import time

import yaml

from conftest import PGP_KEYS, POSTGRES_SERVER_URL, packaged, pgp_file, tls_file
from test_oci import make_chart

# Issue 14's bound: a version published on one replica is listed by the others within 1 s.
LAG_BOUND = 1.0
# A liveness guard only (a listener reconnecting after its backend was killed, a catch-up).
LIVENESS = 20.0


def wait_for(condition, deadline, what):
    """Polls `condition` until it holds or `deadline` seconds pass: a bound, not a sleep."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline} s: {what}")
        time.sleep(0.01)


def versions(server, repo, name):
    response = server.curl(f"/{repo}/index.yaml")
    assert response.status == 200, response
    index = yaml.safe_load(response.body)
    return [entry["version"] for entry in (index.get("entries") or {}).get(name, [])]


def enforcing(*keys):
    """A `replica_factory` configuration: repository `signed`, provenance enforced, trusting `keys`
    (files of keys-test/pgp)."""
    def configure(config, index):
        config["repositories"] = [{"name": "signed", "read": ["anonymous"], "write": ["group:ci"],
                                   "delete": ["group:admins"],
                                   "provenance": {"mode": "enforce", "trustedKeys": [pgp_file(key) for key in keys]}}]
    return configure


def psql(sql):
    """Runs `sql` on the test cluster (any database: pg_stat_activity is cluster-wide)."""
    result = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", POSTGRES_SERVER_URL, "-c", sql],
                            check=True, capture_output=True, text=True, timeout=60)
    return result.stdout.split()


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def in_days(days):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def listener_pids(server):
    """The backends holding `server`'s LISTEN connection."""
    return psql("SELECT pid FROM pg_stat_activity "
                f"WHERE application_name = 'chartwarden-listen-{server.process.pid}'")


def test_helm_adds_through_a_ci_pushes_through_b_and_c_serves_the_download(replica_factory, helm):
    # The load balancer's address is C's: every replica writes chart URLs under it (publicURL),
    # so Helm, which read the index from A, downloads from C.
    balanced = free_port()

    def behind_balancer(config, index):
        config["server"]["publicURL"] = f"https://localhost:{balanced}"
        if index == 2:
            config["server"]["listen"] = f"127.0.0.1:{balanced}"
    a, b, c = replica_factory(3, behind_balancer)
    helm.run("repo-add", "cw", a.url + "/stable", "--ca-file", tls_file("ca.crt"))
    chart = packaged("redis-lite-0.8.1.tgz")
    pushed = b.curl("/api/stable/charts", "--data-binary", "@" + chart, cert="ci-pusher")
    assert pushed.status == 201, pushed
    for replica in (a, c):
        wait_for(lambda: versions(replica, "stable", "redis-lite") == ["0.8.1"], LAG_BOUND,
                 f"replica on port {replica.port} lists redis-lite 0.8.1")
    helm.run("repo-update")
    shown = yaml.safe_load(helm.run("show-chart", "cw/redis-lite").stdout)
    assert shown["version"] == "0.8.1"
    assert c.curl("/stable/charts/redis-lite-0.8.1.tgz").body == open(chart, "rb").read()
    # A delete through C leaves every index.
    assert c.curl("/api/stable/charts/redis-lite/0.8.1", "-X", "DELETE", cert="admin").status == 200
    for replica in (a, b):
        wait_for(lambda: versions(replica, "stable", "redis-lite") == [], LAG_BOUND, "the delete reaches every replica")
        assert replica.curl("/stable/charts/redis-lite-0.8.1.tgz").status == 404


def test_a_signer_revoked_through_a_quarantines_its_charts_on_all_three(replica_factory, pgp, tmp_path):
    replicas = replica_factory(3, enforcing("hard-revoked-signer.pub.asc", "rsa-signer.pub.asc"))
    a, b, c = replicas
    for name, key in [("webapp-1.0.0.tgz", "hard-revoked-signer"), ("redis-lite-0.8.1.tgz", "rsa-signer")]:
        chart = packaged(name)
        prov = tmp_path / (name + ".prov")
        prov.write_bytes(pgp.prov(chart, key))
        pushed = b.curl("/api/signed/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov}", cert="ci-pusher")
        assert pushed.status == 201, pushed
    for replica in replicas:
        wait_for(lambda: versions(replica, "signed", "webapp") == ["1.0.0"], LAG_BOUND, "webapp 1.0.0 everywhere")
    hard = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    revoked = a.curl(f"/api/admin/signers/{hard}/revocation", "--data-binary",
                     "@" + pgp_file("hard-revoked-signer.rev.asc"), cert="admin")
    assert revoked.status == 200, revoked
    assert [q["version"] for q in revoked.json()["quarantined"]] == ["1.0.0"]
    for replica in replicas:
        wait_for(lambda: versions(replica, "signed", "webapp") == [], LAG_BOUND,
                 f"the quarantine reaches the replica on port {replica.port}")
        withheld = replica.curl("/signed/charts/webapp-1.0.0.tgz")
        assert withheld.status == 403 and "revoked" in withheld.json()["error"], withheld
        assert versions(replica, "signed", "redis-lite") == ["0.8.1"]
    # Every replica now refuses a new upload signed by the revoked key.
    newer = packaged("webapp-1.1.0.tgz")
    prov = tmp_path / "webapp-1.1.0.tgz.prov"
    prov.write_bytes(pgp.prov(newer, "hard-revoked-signer"))
    for replica in replicas:
        refused = replica.curl("/api/signed/charts", "-F", f"chart=@{newer}", "-F", f"prov=@{prov}", cert="ci-pusher")
        assert refused.status == 403 and "revocation" in refused.json()["failedChecks"], refused


def test_sixteen_uploads_of_one_version_over_three_replicas_give_one_201(replica_factory, tmp_path):
    replicas = replica_factory(3)
    charts = []
    for index in range(16):
        os.makedirs(tmp_path / f"racer{index}")
        charts.append(make_chart(tmp_path / f"racer{index}", "racer", "1.0.0", marker=f"racer{index}"))
    statuses = {}
    lock = threading.Lock()
    start = threading.Barrier(16)

    def upload(index):
        start.wait()
        response = replicas[index % 3].curl("/api/stable/charts", "--data-binary", "@" + charts[index], cert="ci-pusher")
        with lock:
            statuses[index] = response.status

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses.values()) == [201] + [409] * 15, statuses
    winner = next(index for index, status in statuses.items() if status == 201)
    expected = open(charts[winner], "rb").read()
    for replica in replicas:
        wait_for(lambda: versions(replica, "stable", "racer") == ["1.0.0"], LAG_BOUND, "the winner everywhere")
        served = replica.curl("/stable/charts/racer-1.0.0.tgz")
        assert served.status == 200 and served.body == expected


def test_a_replica_whose_listening_connection_is_killed_reconnects_and_catches_up(replica_factory, tmp_path):
    a, b = replica_factory(2)
    pids = wait_for(lambda: listener_pids(b), LIVENESS, "replica B listens")
    assert len(pids) == 1
    assert psql(f"SELECT pg_terminate_backend({pids[0]})") == ["t"]
    # Changes committed while B has no listener (or before it noticed) still reach it.
    for version in ["0.8.1", "0.8.2"]:
        pushed = a.curl("/api/stable/charts", "--data-binary", "@" + packaged(f"redis-lite-{version}.tgz"),
                        cert="ci-pusher")
        assert pushed.status == 201, pushed
    wait_for(lambda: versions(b, "stable", "redis-lite") == ["0.8.2", "0.8.1"], LIVENESS, "B catches up")
    # It listens again, on a new backend, and notifications flow once more.
    renewed = wait_for(lambda: [pid for pid in listener_pids(b) if pid != pids[0]], LIVENESS, "B listens again")
    assert len(renewed) == 1
    assert "the change listener lost PostgreSQL" in b.log()
    pushed = a.curl("/api/stable/charts", "--data-binary", "@" + packaged("webapp-1.0.0.tgz"), cert="ci-pusher")
    assert pushed.status == 201, pushed
    wait_for(lambda: versions(b, "stable", "webapp") == ["1.0.0"], LAG_BOUND, "B follows notifications again")
    metrics = {line.split()[0]: float(line.split()[1]) for line in b.curl("/metrics", cert="admin").body.decode().splitlines()
               if line.startswith("chartwarden_replica_")}
    assert metrics["chartwarden_replica_listening"] == 1, metrics
    assert metrics["chartwarden_replica_events_applied_total"] >= 3, metrics
    assert "chartwarden_replica_lag_seconds" in metrics


def test_a_token_revoked_on_one_replica_is_refused_on_another_at_once(replica_factory):
    def with_token_group(config, index):
        config["auth"]["groups"]["ci"].append("token:ci")
    a, b = replica_factory(2, with_token_group)
    created = a.curl("/api/admin/tokens", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                     json.dumps({"name": "ci", "repositories": ["stable"], "actions": ["read", "write"],
                                 "expiresAt": in_days(30)}), cert="admin")
    assert created.status == 201, created
    token = created.json()["token"]
    chart = "@" + packaged("redis-lite-0.8.1.tgz")
    assert b.curl("/api/stable/charts", "--data-binary", chart, "-H", f"Authorization: Bearer {token}").status == 201
    assert a.curl(f"/api/admin/tokens/{created.json()['id']}", "-X", "DELETE", cert="admin").status == 200
    refused = b.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.2.tgz"),
                     "-H", f"Authorization: Bearer {token}")
    assert refused.status == 401 and refused.json() == {"error": "token revoked"}, refused
