"""Issue #19, service part: attacks on the repository service, on real sockets. Each test fails
on the landed main (CHARTWARDEN_BIN=/work/wt/landed-main-chartwarden) and passes after the fix."""
import io
import os
import re
import shutil
import tarfile

import pytest

from conftest import PGP_KEYS, make_htpasswd, packaged, pgp_file
from test_server_provenance import admin, index_versions, provenance_config, push, regzipped
from test_server_provenance import signed_server  # noqa: F401 (fixture)


def make_chart(tmp_path, name, version):
    """A minimal chart archive `name-version.tgz` holding only Chart.yaml."""
    text = f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: collision test\n".encode()
    path = tmp_path / f"{name}--{version}.tgz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(f"{name}/Chart.yaml")
        info.size = len(text)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(text))
    return str(path)


# --- Point 8: one file name, two charts ---------------------------------------------------------

def test_colliding_file_names_second_upload_is_409_naming_the_other_chart(server, tmp_path):
    first = make_chart(tmp_path, "app", "1.0.0-1.2.3")
    second = make_chart(tmp_path, "app-1.0.0", "1.2.3")
    assert push(server, "stable", first).status == 201
    refused = push(server, "stable", second)
    assert refused.status == 409, refused
    message = refused.json()["error"]
    assert "app-1.0.0-1.2.3.tgz" in message and "'app' version 1.0.0-1.2.3" in message
    # The first chart's download is untouched and the second chart is nowhere.
    served = server.curl("/stable/charts/app-1.0.0-1.2.3.tgz")
    assert served.status == 200 and served.body == open(first, "rb").read()
    assert index_versions(server, "stable", "app-1.0.0") == []
    # Forcing does not help either (the root repository allows overwrites).
    assert push(server, "", first).status == 201
    forced = server.curl("/api/charts?force=true", "--data-binary", "@" + second, cert="ci-pusher")
    assert forced.status == 409, forced


def signed_push(server, pgp, tmp_path, path, file_name, key="rsa-signer"):
    return push(server, "signed", path, pgp.prov(path, key, file_name=file_name), tmp_path)


def test_a_keyless_stage_cannot_squat_another_charts_file_name(signed_server, pgp, tmp_path):
    """A writer without a key stages `app-1.0.0` 1.2.3: the signed `app` 1.0.0-1.2.3 (the same
    file name) still publishes at once, and the squatter's stage can never be published after."""
    squat = make_chart(tmp_path, "app-1.0.0", "1.2.3")
    assert push(signed_server, "signed", squat).status == 202
    real = make_chart(tmp_path, "app", "1.0.0-1.2.3")
    published = signed_push(signed_server, pgp, tmp_path, real, "app-1.0.0-1.2.3.tgz")
    assert published.status == 201, published
    assert signed_server.curl("/signed/charts/app-1.0.0-1.2.3.tgz").body == open(real, "rb").read()
    # Publishing the squatter's stage (a signed supersede) is refused, naming the owner, and the stage is dropped.
    superseding = signed_push(signed_server, pgp, tmp_path, squat, "app-1.0.0-1.2.3.tgz")
    assert superseding.status == 409 and "'app' version 1.0.0-1.2.3" in superseding.json()["error"], superseding
    dropped = admin(signed_server, "/api/admin/audit?repo=signed&action=stage").json()["events"]
    assert [(event["outcome"], event["subject"]) for event in dropped] == [("dropped", "app-1.0.0-1.2.3")], dropped
    # A new stage of the taken file name is refused at once.
    again = push(signed_server, "signed", squat)
    assert again.status == 409 and "'app' version 1.0.0-1.2.3" in again.json()["error"], again
    assert signed_server.curl("/signed/charts/app-1.0.0-1.2.3.tgz").body == open(real, "rb").read()
    assert index_versions(signed_server, "signed", "app-1.0.0") == []


def test_a_stage_whose_file_name_was_taken_is_dropped_when_its_prov_arrives(signed_server, pgp, tmp_path):
    staged = make_chart(tmp_path, "app-1.0.0", "1.2.3")
    assert push(signed_server, "signed", staged).status == 202
    assert signed_push(signed_server, pgp, tmp_path, make_chart(tmp_path, "app", "1.0.0-1.2.3"),
                       "app-1.0.0-1.2.3.tgz").status == 201
    prov = tmp_path / "late.prov"
    prov.write_bytes(pgp.prov(staged, "rsa-signer", file_name="app-1.0.0-1.2.3.tgz"))
    late = signed_server.curl("/api/signed/prov", "--data-binary", f"@{prov}", cert="ci-pusher")
    assert late.status == 409 and "'app' version 1.0.0-1.2.3" in late.json()["error"], late
    assert signed_server.curl("/signed/charts/app-1.0.0-1.2.3.tgz").status == 200
    # The stage is gone: the prov now finds nothing.
    assert signed_server.curl("/api/signed/prov", "--data-binary", f"@{prov}", cert="ci-pusher").status == 404


def test_file_names_differing_only_in_case_collide(server, tmp_path):
    assert push(server, "stable", make_chart(tmp_path, "demo", "1.0.0-RC1")).status == 201
    refused = push(server, "stable", make_chart(tmp_path, "demo", "1.0.0-rc1"))
    assert refused.status == 409 and "'demo' version 1.0.0-RC1" in refused.json()["error"], refused
    assert index_versions(server, "stable", "demo") == ["1.0.0-RC1"]


def test_a_prov_for_other_bytes_than_the_stage_says_upload_them_together(signed_server, pgp, tmp_path):
    """A squatter staged other bytes of the version: the author's prov sent alone is not a forgery
    (no 403), the answer says how to get in, and chart+prov together supersede the stage."""
    chart = packaged("redis-lite-0.8.1.tgz")
    assert push(signed_server, "signed", regzipped(tmp_path, chart)).status == 202
    prov = tmp_path / "author.prov"
    prov.write_bytes(pgp.prov(chart, "rsa-signer"))
    alone = signed_server.curl("/api/signed/prov", "--data-binary", f"@{prov}", cert="ci-pusher")
    assert alone.status == 409 and "upload the chart and its prov together" in alone.json()["error"], alone
    assert push(signed_server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path).status == 201
    assert signed_server.curl("/signed/charts/redis-lite-0.8.1.tgz").body == open(chart, "rb").read()


# --- Point 9: staging squat --------------------------------------------------------------------

def test_a_signed_upload_supersedes_a_lone_stage_which_is_never_renewed(signed_server, pgp, tmp_path):
    chart = packaged("redis-lite-0.8.1.tgz")
    squat = regzipped(tmp_path, chart)
    assert push(signed_server, "signed", squat).status == 202
    # Uploading the lone chart again renews nothing: 409, the stage keeps its first upload time.
    again = push(signed_server, "signed", squat)
    assert again.status == 409 and "staged" in again.json()["error"], again
    refusals = admin(signed_server, "/api/admin/audit?repo=signed&outcome=rejected").json()["events"]
    assert refusals[0]["detail"]["reason"].startswith("already staged"), refusals
    # A writer with the chart and a valid prov takes the version over.
    published = push(signed_server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path)
    assert published.status == 201, published
    assert index_versions(signed_server, "signed", "redis-lite") == ["0.8.1"]
    assert signed_server.curl("/signed/charts/redis-lite-0.8.1.tgz").body == open(chart, "rb").read()
    events = admin(signed_server, "/api/admin/audit?repo=signed&action=supersede").json()["events"]
    assert [event["subject"] for event in events] == ["redis-lite-0.8.1"]


# --- Point 9: forced overwrite that would only stage ------------------------------------------------

def test_forced_overwrite_without_prov_in_enforce_is_refused_and_changes_nothing(server_factory, pgp, tmp_path):
    def mutate(config):
        provenance_config()(config)
        config["repositories"][0]["allowOverwrite"] = True
    server = server_factory(mutate)
    chart = packaged("redis-lite-0.8.1.tgz")
    original = open(chart, "rb").read()
    assert push(server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path).status == 201
    replacement = regzipped(tmp_path, chart)
    refused = server.curl("/api/signed/charts?force=true", "--data-binary", "@" + replacement, cert="ci-pusher")
    assert refused.status == 400 and "prov" in refused.json()["error"], refused
    assert server.curl("/signed/charts/redis-lite-0.8.1.tgz").body == original
    verdict = admin(server, "/api/admin/charts/signed/redis-lite/0.8.1/provenance").json()
    assert verdict["status"] == "active"
    assert verdict["verdict"]["signerFingerprint"] == PGP_KEYS["rsa-signer"]["fingerprint"]
    # With its prov, the overwrite replaces bytes and verdict together.
    prov_path = tmp_path / "replacement.prov"
    prov_path.write_bytes(pgp.prov(replacement, "ed25519-signer"))
    forced = server.curl("/api/signed/charts?force=true", "-F", f"chart=@{replacement}", "-F", f"prov=@{prov_path}",
                         cert="ci-pusher")
    assert forced.status == 201, forced
    assert server.curl("/signed/charts/redis-lite-0.8.1.tgz").body == open(replacement, "rb").read()
    verdict = admin(server, "/api/admin/charts/signed/redis-lite/0.8.1/provenance").json()
    assert verdict["verdict"]["signerFingerprint"] == PGP_KEYS["ed25519-signer"]["fingerprint"]


# --- Point 9: restore of a revocation quarantine ------------------------------------------------

def test_only_global_admins_restore_a_revocation_quarantine(server_factory, pgp, tmp_path):
    def mutate(config):
        provenance_config()(config)
        config["repositories"][0]["delete"] = ["group:admins", "group:ci"]  # ci-pusher: delete holder, not admin
    server = server_factory(mutate)
    chart = packaged("webapp-1.0.0.tgz")
    assert push(server, "signed", chart, pgp.prov(chart, "hard-revoked-signer", time="20240601T000000"),
                tmp_path).status == 201
    hard = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    revoked = admin(server, f"/api/admin/signers/{hard}/revocation", "--data-binary",
                    "@" + pgp_file("hard-revoked-signer.rev.asc"))
    assert revoked.status == 200 and [q["version"] for q in revoked.json()["quarantined"]] == ["1.0.0"]
    path = "/api/admin/quarantine/signed/webapp/1.0.0/restore"
    denied = server.curl(path, "-X", "POST", cert="ci-pusher")
    assert denied.status == 403, denied
    assert server.curl("/signed/charts/webapp-1.0.0.tgz").status == 403
    assert admin(server, path, "-X", "POST").status == 200
    assert server.curl("/signed/charts/webapp-1.0.0.tgz").status == 200


# --- Point 9: 500 responses ---------------------------------------------------------------------

def test_a_500_body_names_no_path_only_the_request_id(server, tmp_path):
    data_dir = server.config["storage"]["dataDir"]
    shutil.rmtree(os.path.join(data_dir, "blobs"))
    failed = server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.1.tgz"),
                         cert="ci-pusher")
    assert failed.status == 500, failed
    body = failed.body.decode()
    assert "/" not in body and data_dir not in body and "blobs" not in body, body
    request_id = failed.headers["x-request-id"]
    assert request_id in failed.json()["error"]
    # The detail is in the log, under that request id; the server keeps serving.
    assert any(request_id in line and "blobs" in line for line in server.log().splitlines())
    assert server.curl("/stable/index.yaml").status == 200


# --- Point 9: the per-user failure bucket ---------------------------------------------------------

def test_failures_from_other_addresses_do_not_lock_the_user_out(server_factory, chartwarden_bin, tmp_path):
    htpasswd = make_htpasswd(chartwarden_bin, tmp_path / "htpasswd", {"alice": "right password"})

    def mutate(config):
        config["auth"]["htpasswd"] = htpasswd
        config["auth"]["failureLimit"] = {"perAddress": 10, "perUser": 30, "refillSeconds": 600}
        config["repositories"][0]["read"] = ["user:alice"]
    server = server_factory(mutate)
    statuses = [server.curl("/stable/index.yaml", user=f"alice:guess{attempt}", interface=f"127.0.3.{index}").status
                for index in range(1, 6) for attempt in range(6)]
    assert statuses == [401] * 30
    # The attackers' addresses are refused for alice now...
    assert server.curl("/stable/index.yaml", user="alice:right password", interface="127.0.3.1").status == 429
    # ...but alice, from an address that has not been failing, gets in.
    assert server.curl("/stable/index.yaml", user="alice:right password", interface="127.0.3.9").status == 200


def test_a_users_own_typo_does_not_let_attackers_lock_them_out_where_they_logged_in(server_factory, chartwarden_bin,
                                                                                  tmp_path):
    """alice logged in from her address and mistyped once there; attackers then keep her per-user
    count full from other addresses. Her address still gets in."""
    htpasswd = make_htpasswd(chartwarden_bin, tmp_path / "htpasswd", {"alice": "right password"})

    def mutate(config):
        config["auth"]["htpasswd"] = htpasswd
        config["auth"]["failureLimit"] = {"perAddress": 10, "perUser": 30, "refillSeconds": 600}
        config["repositories"][0]["read"] = ["user:alice"]
    server = server_factory(mutate)
    home = "127.0.4.1"
    assert server.curl("/stable/index.yaml", user="alice:right password", interface=home).status == 200
    assert server.curl("/stable/index.yaml", user="alice:typo", interface=home).status == 401
    statuses = [server.curl("/stable/index.yaml", user=f"alice:guess{attempt}", interface=f"127.0.4.{index}").status
                for index in range(2, 7) for attempt in range(6)]
    assert statuses[:29] == [401] * 29
    assert server.curl("/stable/index.yaml", user="alice:guess", interface="127.0.4.2").status == 429
    assert server.curl("/stable/index.yaml", user="alice:right password", interface=home).status == 200


def test_upgrading_a_database_that_already_holds_colliding_file_names(server_factory, tmp_path):
    """Rows stored by an older server may already collide; the migration keeps the oldest live and
    marks the later ones deleted (bytes kept), so the unique index can exist and the server starts."""
    import sqlite3
    data_dir = tmp_path / "data"
    server = server_factory(data_dir=data_dir)
    assert push(server, "stable", make_chart(tmp_path, "app", "1.0.0-1.2.3")).status == 201
    assert push(server, "stable", make_chart(tmp_path, "app-1.0.0", "1.2.4")).status == 201
    assert server.stop() == 0
    database = sqlite3.connect(str(data_dir / "chartwarden.sqlite"))
    with database:
        database.execute("DROP INDEX chart_versions_live_file_name")
        database.execute("DELETE FROM grdb_migrations WHERE identifier = 'v4-live-file-names'")
        database.execute("UPDATE chart_versions SET version = '1.2.3' WHERE name = 'app-1.0.0'")
    database.close()

    server = server_factory(data_dir=data_dir)
    assert index_versions(server, "stable", "app") == ["1.0.0-1.2.3"]
    assert index_versions(server, "stable", "app-1.0.0") == []
    database = sqlite3.connect(str(data_dir / "chartwarden.sqlite"))
    rows = dict(database.execute("SELECT name, status FROM chart_versions WHERE repository = 'stable'").fetchall())
    database.close()
    assert rows == {"app": "active", "app-1.0.0": "deleted"}
