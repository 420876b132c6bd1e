"""Authentication and per-repository authorization on real sockets: htpasswd users (bcrypt and
SHA-crypt), client certificates, the 401/403/404 matrix, failure limits, audit, and the admin
listener."""
import os
import subprocess
import time

import pytest
import yaml

from conftest import client_cert, make_htpasswd, packaged, tls_file

PASSWORDS = {"reader-a": "read-alpha-pw", "writer-a": "write-alpha-pw", "root": "root-admin-pw",
             "reader-b": "read-beta-pw"}
# A SHA-512-crypt line (openssl passwd -6), to show SHA-crypt works end to end, not only bcrypt.
SHA_CRYPT_USER = ("sha-user", "correct horse",
                  "$6$saltsalt$hRM5XZ86KXEw9UOmjigeVqFgULtFB2sgpC9lXQDfMib3Zgw7mEiUvBJI2EplzfAqxL5Vvwp2scFtv/uamSo5z0")


@pytest.fixture(scope="module")
def htpasswd(chartwarden_bin, tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "htpasswd"
    make_htpasswd(chartwarden_bin, path, PASSWORDS)
    with open(path, "a") as handle:
        handle.write(f"# SHA-crypt works too\n{SHA_CRYPT_USER[0]}:{SHA_CRYPT_USER[2]}\n")
    return str(path)


def auth_config(htpasswd, **limits):
    """Two private repositories: alpha (reader-a reads, writer-a writes, admins delete) and beta
    (reader-b reads, admins write and delete). Admins: user root and the admin certificate."""
    def mutate(config):
        config["auth"] = {
            "htpasswd": htpasswd,
            "groups": {"admins": ["user:root", "cert:admin"]},
            "admins": ["group:admins"],
            "failureLimit": {"perAddress": 10, "perUser": 30, "refillSeconds": 600, **limits},
        }
        config["repositories"] = [
            {"name": "alpha", "read": ["user:reader-a", f"user:{SHA_CRYPT_USER[0]}"], "write": ["user:writer-a"],
             "delete": ["group:admins"]},
            {"name": "beta", "read": ["user:reader-b"], "write": ["group:admins"], "delete": ["group:admins"]},
        ]
    return mutate


def login(name):
    return f"{name}:{PASSWORDS[name]}"


def upload(server, repo, chart, user):
    return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + packaged(chart), user=user)


# --- Helm with basic auth and with client certificates ----------------------------------------

def test_helm_repo_add_with_password(server_factory, htpasswd, helm, tmp_path):
    server = server_factory(auth_config(htpasswd))
    assert upload(server, "alpha", "redis-lite-0.8.1.tgz", login("writer-a")).status == 201
    helm.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"),
             "--username", "reader-a", "--password", PASSWORDS["reader-a"])
    shown = yaml.safe_load(helm.run("show-chart", "alpha/redis-lite").stdout)
    assert (shown["name"], shown["version"]) == ("redis-lite", "0.8.1")
    # SHA-crypt users work the same way.
    from conftest import HelmClient
    sha = HelmClient(tmp_path / "sha-home")
    sha.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"),
            "--username", SHA_CRYPT_USER[0], "--password", SHA_CRYPT_USER[1])
    # A wrong password fails with 401.
    wrong = HelmClient(tmp_path / "wrong-home")
    result = wrong.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"),
                       "--username", "reader-a", "--password", "not-the-password", check=False)
    assert result.returncode != 0
    assert "401" in result.stderr, result.stderr
    # No credentials at all: 401 too (alpha is private).
    anonymous = HelmClient(tmp_path / "anonymous-home")
    result = anonymous.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"), check=False)
    assert result.returncode != 0 and "401" in result.stderr, result.stderr


def test_required_client_certificates(server_factory, htpasswd, helm, tmp_path):
    def mutate(config):
        auth_config(htpasswd)(config)
        config["repositories"][0]["read"].append("cert:reader")
    server = server_factory(mutate, client_auth="required")
    pushed = server.curl("/api/alpha/charts", "--data-binary", "@" + packaged("common-lib-1.4.0.tgz"),
                         cert="ci-pusher", user=login("writer-a"))
    assert pushed.status == 201, pushed
    certificate, key = client_cert("reader")
    helm.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"),
             "--cert-file", certificate, "--key-file", key)
    assert yaml.safe_load(helm.run("show-chart", "alpha/common-lib").stdout)["version"] == "1.4.0"

    from conftest import HelmClient
    refused = {
        "other CA": (tls_file("client-intruder.crt"), tls_file("client-intruder.key")),
        "expired": (tls_file("client-expired.crt"), tls_file("client-expired.key")),
        "none": None,
    }
    for label, pair in refused.items():
        other = HelmClient(tmp_path / label.replace(" ", "-"))
        extra = ["--cert-file", pair[0], "--key-file", pair[1]] if pair else []
        result = other.run("repo-add", "alpha", server.url + "/alpha", "--ca-file", tls_file("ca.crt"), *extra,
                           check=False)
        assert result.returncode != 0, label
        assert "tls" in result.stderr.lower() or "eof" in result.stderr.lower(), (label, result.stderr)
        # The refusal is in the handshake: curl with the same certificate gets no HTTP status at all.
        args = ["--cert", pair[0], "--key", pair[1]] if pair else []
        attempt = server.curl("/health", *args)
        assert attempt.status == 0, (label, attempt)
    # Each refusal is an audited authentication failure. The audit row is written as the
    # connection fails, so ask until it shows (each question is a real request, no sleeping).
    deadline = time.monotonic() + 30
    while True:
        events = server.curl("/api/admin/audit?action=authenticate&limit=1000", cert="admin").json()["events"]
        reasons = " ".join(e["detail"].get("tls", "") for e in events if e["detail"]["reason"] == "client-certificate")
        if ("expired" in reasons and "did not return a certificate" in reasons) or time.monotonic() > deadline:
            break
    assert "expired" in reasons and "unable to get local issuer" in reasons, reasons
    assert "did not return a certificate" in reasons, reasons


# --- The matrix: two repositories, four principals, every route family ------------------------

PRINCIPALS = {"anonymous": None, "reader-a": login("reader-a"), "writer-a": login("writer-a"), "admin": login("root")}


def test_authorization_matrix(server_factory, htpasswd):
    server = server_factory(auth_config(htpasswd))
    # Setup: one chart with its prov in alpha, one in beta, and charts to delete.
    assert upload(server, "alpha", "redis-lite-0.8.1.tgz", login("writer-a")).status == 201
    assert upload(server, "alpha", "webapp-1.0.0.tgz", login("writer-a")).status == 201
    assert upload(server, "beta", "webapp-1.1.0.tgz", login("root")).status == 201

    def status(method, path, user, body=None):
        args = ["-I"] if method == "HEAD" else ["-X", method]
        if body:
            args += ["--data-binary", "@" + body]
        return server.curl(path, *args, user=user).status

    # (label, method, path, body, {principal: expected})
    A, B = "alpha", "beta"
    everyone_reads_a = {"anonymous": 401, "reader-a": 200, "writer-a": 200, "admin": 200}
    only_admin_in_b = {"anonymous": 401, "reader-a": 404, "writer-a": 404, "admin": 200}
    rows = [
        ("index A", "GET", f"/{A}/index.yaml", None, everyone_reads_a),
        ("chart A", "GET", f"/{A}/charts/redis-lite-0.8.1.tgz", None, everyone_reads_a),
        ("HEAD chart A", "HEAD", f"/{A}/charts/redis-lite-0.8.1.tgz", None, everyone_reads_a),
        ("list A", "GET", f"/api/{A}/charts", None, everyone_reads_a),
        ("versions A", "GET", f"/api/{A}/charts/redis-lite", None, everyone_reads_a),
        ("version A", "GET", f"/api/{A}/charts/redis-lite/0.8.1", None, everyone_reads_a),
        ("index B", "GET", f"/{B}/index.yaml", None, only_admin_in_b),
        ("chart B", "GET", f"/{B}/charts/webapp-1.1.0.tgz", None, only_admin_in_b),
        ("list B", "GET", f"/api/{B}/charts", None, only_admin_in_b),
        ("version B", "GET", f"/api/{B}/charts/webapp/1.1.0", None, only_admin_in_b),
        ("missing repository", "GET", "/gamma/index.yaml", None,
         {"anonymous": 401, "reader-a": 404, "writer-a": 404, "admin": 404}),
        ("upload A", "POST", f"/api/{A}/charts", packaged("batch-jobs-3.0.0.tgz"),
         {"anonymous": 401, "reader-a": 403, "writer-a": 201, "admin": 403}),
        ("prov A", "POST", f"/api/{A}/prov", packaged("batch-jobs-3.0.0.tgz"),
         {"anonymous": 401, "reader-a": 403, "writer-a": 400, "admin": 403}),
        ("upload B", "POST", f"/api/{B}/charts", packaged("batch-jobs-3.0.0.tgz"),
         {"anonymous": 401, "reader-a": 404, "writer-a": 404, "admin": 201}),
        ("delete A", "DELETE", f"/api/{A}/charts/webapp/1.0.0", None,
         {"anonymous": 401, "reader-a": 403, "writer-a": 403, "admin": 200}),
        ("delete B", "DELETE", f"/api/{B}/charts/webapp/1.1.0", None, only_admin_in_b),
        ("health", "GET", "/health", None, {p: 200 for p in PRINCIPALS}),
        ("ready", "GET", "/ready", None, {p: 200 for p in PRINCIPALS}),
        ("info", "GET", "/info", None, {p: 200 for p in PRINCIPALS}),
        ("metrics", "GET", "/metrics", None, {"anonymous": 401, "reader-a": 403, "writer-a": 403, "admin": 200}),
        ("audit", "GET", "/api/admin/audit", None,
         {"anonymous": 401, "reader-a": 403, "writer-a": 403, "admin": 200}),
        ("audit of A", "GET", f"/api/admin/audit?repo={A}", None,
         {"anonymous": 401, "reader-a": 403, "writer-a": 403, "admin": 200}),
        ("audit of B", "GET", f"/api/admin/audit?repo={B}", None,
         {"anonymous": 401, "reader-a": 404, "writer-a": 404, "admin": 200}),
    ]
    failures = []
    for label, method, path, body, expected in rows:
        for principal in ["anonymous", "reader-a", "writer-a", "admin"]:
            got = status(method, path, PRINCIPALS[principal], body)
            if got != expected[principal]:
                failures.append(f"{label} as {principal}: expected {expected[principal]}, got {got}")
    assert not failures, "\n".join(failures)

    # 401s carry the Basic challenge; a hidden repository's 404 is the same as a missing one's.
    challenge = server.curl(f"/{A}/index.yaml")
    assert challenge.headers["www-authenticate"] == 'Basic realm="chartwarden"'
    hidden = server.curl(f"/{B}/index.yaml", user=login("reader-a"))
    missing = server.curl("/gamma/index.yaml", user=login("reader-a"))
    assert hidden.body == missing.body and hidden.json() == {"error": "repository not found"}
    # /info names only what the caller may read.
    assert server.curl("/info").json()["repositories"] == []
    assert server.curl("/info", user=login("reader-a")).json()["repositories"] == [A]
    assert server.curl("/info", user=login("root")).json()["repositories"] == [A, B]
    # Uploads and deletes are audited under the user that made them.
    events = server.curl("/api/admin/audit?repo=alpha", user=login("root")).json()["events"]
    assert {(e["actor"], e["action"]) for e in events} >= {("user:writer-a", "upload"), ("user:root", "delete")}


def test_metrics_rule_is_configurable(server_factory, htpasswd):
    def mutate(config):
        auth_config(htpasswd)(config)
        config["auth"]["metrics"] = ["anonymous"]
    server = server_factory(mutate)
    assert server.curl("/metrics").status == 200
    assert server.curl("/api/admin/audit").status == 401


def test_wrong_credentials_are_401_even_on_a_public_repository(server_factory, htpasswd):
    def mutate(config):
        auth_config(htpasswd)(config)
        config["repositories"][0]["read"].append("anonymous")
    server = server_factory(mutate)
    assert server.curl("/alpha/index.yaml").status == 200
    assert server.curl("/alpha/index.yaml", user=login("reader-a")).status == 200
    assert server.curl("/alpha/index.yaml", user="reader-a:wrong").status == 401
    assert server.curl("/alpha/index.yaml", "-H", "Authorization: Bearer abc").status == 401


# --- Abuse resistance ---------------------------------------------------------------------------

def metric(server, name, user):
    for line in server.curl("/metrics", user=user).body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_password_guessing_is_rate_limited_and_audited(server_factory, htpasswd):
    server = server_factory(auth_config(htpasswd))
    statuses = []
    for attempt in range(50):
        result = server.curl("/alpha/index.yaml", user=f"reader-a:guess-{attempt}", interface="127.0.0.2")
        statuses.append(result.status)
        if result.status == 429:
            assert int(result.headers["retry-after"]) > 0
            assert "error" in result.json()
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 40
    # While 127.0.0.2 is refused, correct users from another address keep working: a different
    # user, and the very user name that was attacked.
    assert server.curl("/alpha/index.yaml", user=login("writer-a"), interface="127.0.0.1").status == 200
    assert server.curl("/alpha/index.yaml", user=login("reader-a"), interface="127.0.0.1").status == 200
    # Even the right password is refused from the limited address, and no hash is computed for it.
    hashes = metric(server, "chartwarden_password_hashes_total", login("root"))
    assert server.curl("/alpha/index.yaml", user=login("reader-a"), interface="127.0.0.2").status == 429
    assert metric(server, "chartwarden_password_hashes_total", login("root")) == hashes
    # The audit log holds every failure that was checked, and the moment the limit engaged.
    events = server.curl("/api/admin/audit?action=authenticate&limit=1000", user=login("root")).json()["events"]
    denied = [e for e in events if e["outcome"] == "denied" and e["subject"] == "127.0.0.2"]
    assert len(denied) == 10
    assert all(e["actor"] == "user:reader-a" and e["detail"]["reason"] == "wrong-password" for e in denied)
    assert any(e["outcome"] == "rate-limited" and "127.0.0.2" in e["detail"]["reason"] for e in events)
    assert server.curl("/api/admin/audit?outcome=denied", user=login("root")).json()["events"][0]["outcome"] == "denied"


def test_a_user_name_under_attack_from_many_addresses_is_limited(server_factory, htpasswd):
    server = server_factory(auth_config(htpasswd, perAddress=3, perUser=6))
    statuses = []
    for index in range(4):
        for attempt in range(2):
            result = server.curl("/alpha/index.yaml", user=f"writer-a:guess{attempt}",
                                 interface=f"127.0.1.{index + 1}")
            statuses.append(result.status)
    # Once the user bucket is full, each further address gets one failure, then it is refused too.
    assert statuses[:7] == [401] * 7 and statuses[7:] == [429]
    assert server.curl("/alpha/index.yaml", user=login("writer-a"), interface="127.0.1.1").status == 429
    # The user from an address that has not been failing, and other users, are not refused.
    assert server.curl("/alpha/index.yaml", user=login("writer-a"), interface="127.0.0.1").status == 200
    assert server.curl("/alpha/index.yaml", user=login("reader-a")).status == 200


# --- htpasswd: refused kinds at startup, reload on change ----------------------------------------

REFUSED_LINES = {
    "apr1": ("old:$apr1$saltsalt$Q17bmANhIA7pctgRGqF/S0", "Apache MD5"),
    "md5-crypt": ("old:$1$saltsalt$4px9i58NU2Z2/vZOUlGjq.", "MD5-crypt"),
    "sha1": ("old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "SHA-1"),
    "des": ("old:abJnggxhB/yWI", "DES"),
    "plaintext": ("old:hunter2", "plaintext"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED_LINES))
def test_refused_htpasswd_lines_stop_startup(chartwarden_bin, htpasswd, tmp_path, kind):
    line, reason = REFUSED_LINES[kind]
    path = tmp_path / "htpasswd"
    path.write_text(open(htpasswd).read().splitlines()[0] + "\n# a comment\n" + line + "\n")
    config = tmp_path / "chartwarden.yaml"
    from conftest import base_config
    settings = base_config(tmp_path / "data")
    auth_config(str(path))(settings)
    config.write_text(yaml.safe_dump(settings))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "line 3" in result.stderr and reason in result.stderr and "auth.htpasswd" in result.stderr, result.stderr
    assert "listening" not in result.stdout


def test_htpasswd_is_reloaded_when_it_changes(server_factory, chartwarden_bin, htpasswd, tmp_path):
    path = tmp_path / "live-htpasswd"
    path.write_text(open(htpasswd).read())
    server = server_factory(auth_config(str(path)))
    assert server.curl("/alpha/index.yaml", user=login("reader-a")).status == 200
    assert server.curl("/alpha/index.yaml", user="newcomer:new-pw").status == 401
    # Add a user and change reader-a's password, replacing the file atomically as editors do.
    replacement = tmp_path / "htpasswd.new"
    make_htpasswd(chartwarden_bin, replacement, {**PASSWORDS, "reader-a": "rotated-pw", "newcomer": "new-pw"})
    os.replace(replacement, path)
    # newcomer now authenticates, but has no grant on alpha: 404, not 401.
    assert server.curl("/alpha/index.yaml", user="newcomer:new-pw").status == 404
    assert server.curl("/alpha/index.yaml", user=login("reader-a")).status == 401
    assert server.curl("/alpha/index.yaml", user="reader-a:rotated-pw").status == 200
    # An edit that breaks the file keeps the previous users and is logged.
    with open(path, "a") as handle:
        handle.write("broken:$apr1$saltsalt$Q17bmANhIA7pctgRGqF/S0\n")
    assert server.curl("/alpha/index.yaml", user="reader-a:rotated-pw").status == 200
    assert "htpasswd reload failed" in server.log()


# --- The admin listener --------------------------------------------------------------------------

def test_admin_api_only_on_the_admin_listener(server_factory, htpasswd):
    def mutate(config):
        auth_config(htpasswd)(config)
        config["server"]["adminListen"] = "127.0.0.1:0"
    server = server_factory(mutate)
    assert server.ports["admin"] != server.port
    # Main listener: every admin path is a plain 404, for admins too, whatever the method.
    for user in [None, login("root")]:
        for method, path in [("GET", "/api/admin/audit"), ("GET", "/api/admin/signers"),
                             ("POST", "/api/admin/signers?repo=alpha"), ("DELETE", "/api/admin/audit"),
                             ("GET", "/api/admin/charts"), ("POST", "/api/admin/charts")]:
            result = server.curl(path, "-X", method, user=user)
            assert result.status == 404 and result.json() == {"error": "not found"}, (method, path, user, result)
    # Admin listener: the admin API with the same rules, and nothing else.
    audit = server.curl(server.admin_url + "/api/admin/audit", user=login("root"))
    assert audit.status == 200 and "events" in audit.json()
    assert server.curl(server.admin_url + "/api/admin/audit").status == 401
    assert server.curl(server.admin_url + "/api/admin/audit", user=login("reader-a")).status == 403
    assert server.curl(server.admin_url + "/api/admin/audit", cert="admin").status == 200
    assert server.curl(server.admin_url + "/alpha/index.yaml", user=login("root")).status == 404
    assert server.curl(server.admin_url + "/health").status == 404
    # The main listener still serves everything else.
    assert server.curl("/alpha/index.yaml", user=login("reader-a")).status == 200
