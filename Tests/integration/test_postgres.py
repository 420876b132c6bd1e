"""The PostgreSQL backend end to end (README, "PostgreSQL storage"): everything, keys included,
lives in the database, so a server on a new, empty data directory serves what another stored
(racing uploads over several servers: test_replicas.py); a bad URL or an unreachable
database stop the server at start with a clear error; `chartwarden migrate` moves an embedded
install, idempotently. Skipped without a PostgreSQL server
(CHARTWARDEN_TEST_POSTGRES_URL; scripts/test.sh starts a private cluster)."""
import os
import socket
import subprocess

import yaml

from conftest import PGP_KEYS, base_config, packaged, pgp_file, tls_file


def on_postgres(databases, database_key, repositories=None):
    """A config mutation putting the server on the database of `database_key`."""
    def mutate(config):
        config["storage"]["postgres"] = databases.storage_for(database_key)
        config["server"]["adminListen"] = "127.0.0.1:0"
        if repositories:
            config["repositories"] = repositories
    return mutate


SIGNED = [{"name": "signed", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
           "provenance": {"mode": "enforce"}}]


def push_signed(server, chart, prov, tmp_path):
    prov_path = tmp_path / (os.path.basename(chart) + ".prov")
    prov_path.write_bytes(prov)
    return server.curl("/api/signed/charts", "-F", f"chart=@{chart}", "-F", f"prov=@{prov_path}", cert="ci-pusher")


def test_a_server_on_a_new_data_directory_serves_and_trusts_what_the_database_holds(
        server_factory, postgres_server, pgp, tmp_path):
    first = server_factory(on_postgres(postgres_server, "shared", SIGNED), data_dir=tmp_path / "first")
    # Keys reach the server only through the admin API: the database is their only durable copy.
    for key in ["rsa-signer", "hard-revoked-signer"]:
        imported = first.curl(first.admin_url + "/api/admin/signers?repo=signed", "--data-binary",
                              "@" + pgp_file(f"{key}.pub.asc"), cert="admin")
        assert imported.status == 201, imported
    chart = packaged("redis-lite-0.8.1.tgz")
    prov = pgp.prov(chart, "rsa-signer")
    assert push_signed(first, chart, prov, tmp_path).status == 201
    hard = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    revoked = first.curl(first.admin_url + f"/api/admin/signers/{hard}/revocation", "--data-binary",
                         "@" + pgp_file("hard-revoked-signer.rev.asc"), cert="admin")
    assert revoked.status == 200, revoked
    first.stop()

    second = server_factory(on_postgres(postgres_server, "shared", SIGNED), data_dir=tmp_path / "second")
    index = yaml.safe_load(second.curl("/signed/index.yaml").body)
    assert [entry["version"] for entry in index["entries"]["redis-lite"]] == ["0.8.1"]
    assert second.curl("/signed/charts/redis-lite-0.8.1.tgz").body == open(chart, "rb").read()
    assert second.curl("/signed/charts/redis-lite-0.8.1.tgz.prov").body == prov
    # Its GnuPG home was rebuilt from the database: the imported key verifies a new upload...
    newer = packaged("redis-lite-0.8.2.tgz")
    assert push_signed(second, newer, pgp.prov(newer, "rsa-signer"), tmp_path).status == 201
    # ...and the revoked one stays revoked.
    refused = push_signed(second, packaged("webapp-1.0.0.tgz"), pgp.prov(packaged("webapp-1.0.0.tgz"),
                                                                          "hard-revoked-signer"), tmp_path)
    assert refused.status == 403 and "revoked" in refused.json()["error"], refused
    events = second.curl(second.admin_url + "/api/admin/audit?repo=signed&limit=100", cert="admin").json()["events"]
    assert [event["action"] for event in events if event["outcome"] == "active"] == ["upload", "upload"]
    # Nothing of the embedded store was written to either data directory.
    for data_dir in ["first", "second"]:
        assert not os.path.exists(tmp_path / data_dir / "chartwarden.sqlite")
        assert not os.path.exists(tmp_path / data_dir / "blobs")


def test_a_bad_url_or_an_unreachable_database_stops_the_server_at_start(chartwarden_bin, tmp_path):
    def serve(postgres):
        config = base_config(tmp_path / "data")
        config["storage"]["postgres"] = postgres
        path = tmp_path / "chartwarden.yaml"
        path.write_text(yaml.safe_dump(config))
        return subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True,
                              timeout=60)

    malformed = serve({"url": "mysql://cw@localhost/charts"})
    assert malformed.returncode != 0 and "storage.postgres.url" in malformed.stderr, malformed.stderr
    password_file = tmp_path / "password"
    password_file.write_text("s3cret-not-printed\n")
    # A loopback port nothing listens on (bound, then closed).
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    unreachable = serve({"url": f"postgresql://cw@127.0.0.1:{port}/charts", "passwordFile": str(password_file)})
    assert unreachable.returncode != 0
    assert f"cannot connect to PostgreSQL at postgresql://cw@127.0.0.1:{port}/charts" in unreachable.stderr, \
        unreachable.stderr
    assert "s3cret" not in unreachable.stderr
    missing = serve({"url": "postgresql://cw@127.0.0.1/charts", "passwordFile": str(tmp_path / "absent")})
    assert missing.returncode != 0 and "storage.postgres.passwordFile" in missing.stderr, missing.stderr


def test_migrate_moves_an_embedded_install_with_its_trust_quarantine_and_audit(
        chartwarden_bin, server_factory, postgres_server, pgp, helm, tmp_path):
    def embedded(config):
        on_postgres(postgres_server, "unused", SIGNED)(config)
        config["storage"]["postgres"] = None  # stays on SQLite whatever the suite's backend
    source = server_factory(embedded, data_dir=tmp_path / "embedded")
    for key in ["rsa-signer", "hard-revoked-signer"]:
        imported = source.curl(source.admin_url + "/api/admin/signers?repo=signed", "--data-binary",
                               "@" + pgp_file(f"{key}.pub.asc"), cert="admin")
        assert imported.status == 201, imported
    chart = packaged("redis-lite-0.8.1.tgz")
    prov = pgp.prov(chart, "rsa-signer")
    assert push_signed(source, chart, prov, tmp_path).status == 201
    webapp = packaged("webapp-1.0.0.tgz")
    assert push_signed(source, webapp, pgp.prov(webapp, "hard-revoked-signer"), tmp_path).status == 201
    hard = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    assert source.curl(source.admin_url + f"/api/admin/signers/{hard}/revocation", "--data-binary",
                       "@" + pgp_file("hard-revoked-signer.rev.asc"), cert="admin").status == 200
    index_before = yaml.safe_load(source.curl("/signed/index.yaml").body)
    audit_before = source.curl(source.admin_url + "/api/admin/audit?limit=500", cert="admin").json()["events"]
    assert source.stop() == 0

    target = postgres_server.storage_for("migrated")
    password_file = target["passwordFile"]

    def migrate():
        result = subprocess.run([chartwarden_bin, "migrate", "--config", os.path.join(source.workdir, "chartwarden.yaml"),
                                 "--to", target["url"], "--password-file", password_file],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return {line.split(":")[0].strip(): line.split(":")[1].strip() for line in result.stdout.splitlines()[1:]}

    first = migrate()
    assert first["charts"] == "2 copied, 0 already there" and first["provs"] == "2 copied, 0 already there"
    assert first["keys"] == "2 copied, 0 already there" and first["blobs"] == "6 copied, 0 already there"
    # Each chart's OCI manifest (generated at upload) came with its config blob: 2 charts + 2 provs + 2 configs.
    assert first["oci manifests"] == "2 copied, 0 already there"
    assert first["audit events"] == f"{len(audit_before)} copied, 0 already there"
    # Idempotent: nothing is copied twice.
    second = migrate()
    assert all(value.startswith("0 copied") for value in second.values()), second

    def migrated(config):
        config["storage"]["postgres"] = target
        config["server"]["adminListen"] = "127.0.0.1:0"
        config["repositories"] = SIGNED
    moved = server_factory(migrated, data_dir=tmp_path / "moved")
    index_after = yaml.safe_load(moved.curl("/signed/index.yaml").body)
    assert index_after["entries"] == index_before["entries"]
    assert moved.curl("/signed/charts/redis-lite-0.8.1.tgz.prov").body == prov
    withheld = moved.curl("/signed/charts/webapp-1.0.0.tgz")
    assert withheld.status == 403 and "revoked" in withheld.json()["error"], withheld
    quarantined = moved.curl(moved.admin_url + "/api/admin/quarantine", cert="admin").json()["quarantined"]
    assert [(entry["name"], entry["version"]) for entry in quarantined] == [("webapp", "1.0.0")]
    audit_after = moved.curl(moved.admin_url + "/api/admin/audit?limit=500", cert="admin").json()["events"]
    assert [(e["action"], e["outcome"], e.get("subject")) for e in audit_after] == \
        [(e["action"], e["outcome"], e.get("subject")) for e in audit_before]
    # The keys came along: the migrated server verifies a new upload with them.
    newer = packaged("redis-lite-0.8.2.tgz")
    assert push_signed(moved, newer, pgp.prov(newer, "rsa-signer"), tmp_path).status == 201
    helm.run("repo-add", "moved", moved.url + "/signed", "--ca-file", tls_file("ca.crt"))
    assert yaml.safe_load(helm.run("show-chart", "moved/redis-lite").stdout)["version"] == "0.8.2"
