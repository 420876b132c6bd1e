"""Scoped API tokens on real sockets (README, "API tokens"): created by an admin, presented by
curl as a Bearer token or as the Basic password of user `token`, and by Helm as --password;
scope narrowing, revocation, and failed tokens kept apart from password guessing."""
import datetime
import json
import re

from conftest import make_htpasswd, packaged, tls_file

TOKEN_SHAPE = re.compile(r"^cwt_[0-9a-f]{16}_[0-9a-f]{64}$")


def with_tokens(htpasswd=None):
    """`token:ci` is in group ci (writes stable, root and private); `token:viewer` reads private."""
    def mutate(config):
        config["auth"]["groups"]["ci"].append("token:ci")
        config["repositories"][2]["read"].append("token:viewer")
        if htpasswd:
            config["auth"]["htpasswd"] = htpasswd
            config["repositories"][2]["read"].append("user:reader")
    return mutate


def in_days(days):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def create(server, name, repositories, actions, days=1):
    result = server.curl("/api/admin/tokens", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                         json.dumps({"name": name, "repositories": repositories, "actions": actions,
                                     "expiresAt": in_days(days)}), cert="admin")
    assert result.status == 201, result
    return result.json()


def push(server, repo, chart, *auth, **options):
    path = f"/api/{repo}/charts" if repo else "/api/charts"
    return server.curl(path, "--data-binary", "@" + packaged(chart), *auth, **options)


def bearer(token):
    return ("-H", f"Authorization: Bearer {token}")


def test_write_token_pushes_only_in_its_scope_and_stops_at_revocation(server_factory):
    server = server_factory(with_tokens())
    writer = create(server, "ci", ["stable"], ["write"])
    assert TOKEN_SHAPE.match(writer["token"]), writer
    assert writer["principal"] == "token:ci" and writer["status"] == "active"
    assert push(server, "stable", "redis-lite-0.8.1.tgz", *bearer(writer["token"])).status == 201
    # token:ci may write in the root repository too, but this token's scope is stable only.
    refused = push(server, "", "redis-lite-0.8.1.tgz", *bearer(writer["token"]))
    assert refused.status == 403, refused
    assert "token:ci may not write" in refused.json()["error"]
    # private is not readable by anonymous: outside the scope it answers like a missing repository.
    assert push(server, "private", "redis-lite-0.8.1.tgz", *bearer(writer["token"])).status == 404

    # A read-scoped token of the same name cannot push, even where token:ci holds write.
    reader = create(server, "ci", ["stable", "private"], ["read"])
    assert push(server, "stable", "redis-lite-0.8.2.tgz", "-u", "token:" + reader["token"]).status == 403
    assert server.curl("/private/index.yaml", "-u", "token:" + reader["token"]).status == 200

    # The list shows both without secrets.
    listed = server.curl("/api/admin/tokens", cert="admin")
    assert listed.status == 200
    assert {token["id"] for token in listed.json()["tokens"]} == {writer["id"], reader["id"]}
    assert writer["token"].encode() not in listed.body and reader["token"].encode() not in listed.body

    # Revoked: 401 on its very next request; the other token keeps working.
    revoked = server.curl(f"/api/admin/tokens/{writer['id']}", "-X", "DELETE", cert="admin")
    assert revoked.status == 200 and revoked.json()["status"] == "revoked", revoked
    after = push(server, "stable", "redis-lite-0.8.2.tgz", *bearer(writer["token"]))
    assert after.status == 401 and after.json() == {"error": "token revoked"}, after
    assert server.curl("/private/index.yaml", *bearer(reader["token"])).status == 200

    events = server.curl("/api/admin/audit?action=token", cert="admin").json()["events"]
    assert [(event["outcome"], event["actor"], event["subject"]) for event in events] == [
        ("revoked", "cert:admin", "token:ci"), ("created", "cert:admin", "token:ci"), ("created", "cert:admin", "token:ci")]
    assert writer["token"] not in json.dumps(events)
    uploads = server.curl("/api/admin/audit?action=upload", cert="admin").json()["events"]
    assert [event["actor"] for event in uploads] == ["token:ci"]


def test_helm_uses_a_token_as_its_password(server_factory, helm):
    server = server_factory(with_tokens())
    assert push(server, "private", "redis-lite-0.8.1.tgz", cert="ci-pusher").status == 201
    viewer = create(server, "viewer", ["private"], ["read"])
    helm.run("repo-add", "private", server.url + "/private", "--ca-file", tls_file("ca.crt"),
             "--username", "token", "--password", viewer["token"])
    helm.run("show-chart", "private/redis-lite")


def test_tokens_are_validated_and_only_admins_manage_them(server_factory):
    server = server_factory(with_tokens())
    body = {"name": "ci", "repositories": ["stable"], "actions": ["write"], "expiresAt": in_days(1)}

    def post(payload, **auth):
        return server.curl("/api/admin/tokens", "-X", "POST", "--data-binary", json.dumps(payload), **auth)

    assert post(body).status == 401
    assert post(body, cert="ci-pusher").status == 403
    for field, value, expected in [("repositories", ["nowhere"], "nowhere"), ("actions", ["admin"], "admin"),
                                   ("expiresAt", in_days(-1), "future"), ("expiresAt", in_days(400), "366"),
                                   ("name", "ci:other", "name"), ("extra", 1, "unknown field")]:
        result = post({**body, field: value}, cert="admin")
        assert result.status == 400 and expected in result.json()["error"], (field, result)
    # A token cannot mint tokens, even one whose name is in the admins' group.
    token = create(server, "ci", ["stable"], ["read", "write", "delete"])
    assert server.curl("/api/admin/tokens", "-X", "POST", "--data-binary", json.dumps(body),
                       *bearer(token["token"])).status == 403
    assert server.curl("/api/admin/tokens/ffffffffffffffff", "-X", "DELETE", cert="admin").status == 404


def test_failed_tokens_are_not_password_guesses_and_a_limited_address_is_refused_first(server_factory, chartwarden_bin,
                                                                                        tmp_path):
    htpasswd = make_htpasswd(chartwarden_bin, tmp_path / "htpasswd", {"reader": "reader-pw"})
    server = server_factory(with_tokens(htpasswd))
    valid = create(server, "viewer", ["private"], ["read"])
    forged = "cwt_" + valid["id"] + "_" + "0" * 64
    statuses = [server.curl("/private/index.yaml", *bearer(forged if attempt % 2 else "garbage"),
                            interface="127.0.0.2").status for attempt in range(14)]
    # The default per-address limit (10) applies to tokens in a bucket of their own.
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429] * 4, statuses
    # The password limit of that address is not affected.
    assert server.curl("/private/index.yaml", user="reader:reader-pw", interface="127.0.0.2").status == 200
    # Review F13: a limited address is refused before any token lookup, the valid token too
    # (429, no audit row); from another address the token works.
    limited = server.curl("/private/index.yaml", *bearer(valid["token"]), interface="127.0.0.2")
    assert limited.status == 429 and "retry-after" in limited.headers, limited
    assert server.curl("/private/index.yaml", *bearer(valid["token"]), interface="127.0.0.3").status == 200
    # A token that proved valid passes the limited address (webhooks review F1: garbage from a
    # shared NAT must not lock the working jobs out); the garbage is still refused there.
    assert server.curl("/private/index.yaml", *bearer(valid["token"]), interface="127.0.0.2").status == 200
    assert server.curl("/private/index.yaml", *bearer(forged), interface="127.0.0.2").status == 429
    refusals = server.curl("/api/admin/audit?action=authenticate&limit=100", cert="admin").json()["events"]
    reasons = [event["detail"]["reason"] for event in refusals if event["outcome"] == "denied"]
    assert sorted(set(reasons)) == ["token-malformed", "token-unknown"] and len(reasons) == 10, reasons
    assert all(event["detail"].get("token") == valid["id"] for event in refusals
               if event["detail"]["reason"] == "token-unknown")


def on_sqlite(mutate):
    """`mutate`, then the embedded store whatever the suite's backend (the test reads its file)."""
    def both(config):
        mutate(config)
        config.setdefault("storage", {})["postgres"] = None
    return both


def test_tokens_survive_a_restart_and_only_their_hash_is_stored(server_factory, tmp_path):
    data = tmp_path / "data"
    server = server_factory(on_sqlite(with_tokens()), data_dir=data)
    token = create(server, "ci", ["stable"], ["write"])
    server.stop()
    database = open(data / "chartwarden.sqlite", "rb").read()
    for name in ("chartwarden.sqlite-wal",):
        path = data / name
        database += path.read_bytes() if path.exists() else b""
    assert token["token"].split("_")[2].encode() not in database
    restarted = server_factory(on_sqlite(with_tokens()), data_dir=data)
    assert push(restarted, "stable", "redis-lite-0.8.1.tgz", *bearer(token["token"])).status == 201


# --- hostile review (F1, F7) --------------------------------------------------------------------

def test_a_scoped_token_named_in_the_admins_cannot_read_metrics(server_factory):
    """F1: /metrics checked auth.metrics (the admins) without the token's scope."""
    def mutate(config):
        with_tokens()(config)
        config["auth"]["groups"]["admins"].append("token:ops")
    server = server_factory(mutate)
    ops = create(server, "ops", ["stable"], ["read"])
    assert server.curl("/api/admin/tokens", *bearer(ops["token"])).status == 403
    metrics = server.curl("/metrics", *bearer(ops["token"]))
    assert metrics.status == 403 and "error" in metrics.json(), metrics
    assert server.curl("/metrics", cert="admin").status == 200


def test_an_htpasswd_user_named_token_stops_startup(chartwarden_bin, tmp_path):
    """F7: user `token` was silently shadowed (its password read as an API token)."""
    import subprocess
    import yaml
    from conftest import base_config
    htpasswd = make_htpasswd(chartwarden_bin, tmp_path / "htpasswd", {"token": "pw-of-token"})
    settings = base_config(tmp_path / "data")
    settings["auth"]["htpasswd"] = htpasswd
    config = tmp_path / "chartwarden.yaml"
    config.write_text(yaml.safe_dump(settings))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "listening" not in result.stdout
    assert "auth.htpasswd" in result.stderr and '"token" is reserved' in result.stderr, result.stderr


def test_garbage_from_a_shared_address_does_not_lock_out_a_working_token(server_factory):
    """Webhooks review F1: with the limiter checked first (F13), eleven garbage bearer tokens from
    the CI fleet's NAT address locked every valid token there out."""
    server = server_factory(with_tokens())
    token = create(server, "ci", ["stable"], ["write"])["token"]
    assert push(server, "stable", "redis-lite-0.8.1.tgz", *bearer(token)).status == 201
    for attempt in range(11):
        server.curl("/api/stable/charts", *bearer(f"cwt_{attempt:016x}_{'0' * 64}"))
    assert push(server, "stable", "redis-lite-0.8.2.tgz", *bearer(token)).status == 201
