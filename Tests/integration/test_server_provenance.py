"""Provenance enforcement end to end: charts signed at run time with the committed test keys
(gpg --clearsign and the PyPI tool helm-sign), verified by the server through GPGME."""
import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import PGP_KEYS, TOP, packaged, pgp_file

SIGNED_KEYS = ["rsa-signer", "ed25519-signer", "subkey-signer", "expired-signer", "hard-revoked-signer",
               "soft-revoked-signer"]


def provenance_config(ttl=3600, admin_listen=False):
    def mutate(config):
        def enforce(name, keys, **extra):
            return {"name": name, "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
                    "provenance": {"mode": "enforce", "stagingTTLSeconds": ttl,
                                   "trustedKeys": [pgp_file(f"{key}.pub.asc") for key in keys]}, **extra}
        config["repositories"] = [
            enforce("signed", SIGNED_KEYS),
            enforce("other", ["ecdsa-signer"]),
            {"name": "warned", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
             "provenance": {"mode": "warn", "trustedKeys": [pgp_file("rsa-signer.pub.asc")]}},
        ]
        if admin_listen:
            config["server"]["adminListen"] = "127.0.0.1:0"
    return mutate


@pytest.fixture
def signed_server(server_factory):
    return server_factory(provenance_config())


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def push(server, repo, chart_path, prov=None, tmp_path=None, cert="ci-pusher"):
    if prov is None:
        return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + chart_path, cert=cert)
    prov_path = write(tmp_path, os.path.basename(chart_path) + ".prov", prov)
    return server.curl(f"/api/{repo}/charts", "-F", f"chart=@{chart_path}", "-F", f"prov=@{prov_path}", cert=cert)


def index_versions(server, repo, name):
    index = yaml.safe_load(server.curl(f"/{repo}/index.yaml").body)
    return [entry["version"] for entry in (index.get("entries") or {}).get(name, [])]


def admin(server, path, *args):
    return server.curl(path, *args, cert="admin")


# --- Valid provenance --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["rsa-signer", "ed25519-signer", "subkey-signer"])
def test_valid_signature_publishes_chart_and_prov(signed_server, pgp, tmp_path, key):
    chart = packaged("redis-lite-0.8.1.tgz")
    prov = pgp.prov(chart, key)
    response = push(signed_server, "signed", chart, prov, tmp_path)
    assert response.status == 201 and response.json() == {"saved": True}, response
    assert index_versions(signed_server, "signed", "redis-lite") == ["0.8.1"]
    served = signed_server.curl("/signed/charts/redis-lite-0.8.1.tgz.prov")
    assert served.status == 200 and served.body == prov
    verdict = admin(signed_server, "/api/admin/charts/signed/redis-lite/0.8.1/provenance").json()
    assert verdict["verdict"]["signerFingerprint"] == PGP_KEYS[key]["fingerprint"]
    assert verdict["verdict"]["signingKeyFingerprint"] == PGP_KEYS[key]["signingFingerprint"]
    assert all(check["passed"] for check in verdict["verdict"]["checks"])
    assert {check["name"] for check in verdict["verdict"]["checks"]} >= {
        "envelope", "signature", "hash-algorithm", "trusted-signer", "key-validity", "revocation", "signature-time",
        "body-layout", "chart-identity", "file-digest"}


def test_helm_sign_provs_are_accepted(signed_server, pgp, tmp_path):
    chart = shutil.copy(packaged("webapp-1.2.0.tgz"), tmp_path / "webapp-1.2.0.tgz")
    result = subprocess.run([sys.executable, "-c", "import sys; from helm_sign.main import main; sys.exit(main())",
                             str(chart), "--gnupg-home", pgp.home, "--key", PGP_KEYS["ed25519-signer"]["fingerprint"]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    prov = open(str(chart) + ".prov", "rb").read()
    response = push(signed_server, "signed", str(chart), prov, tmp_path)
    assert response.status == 201, response
    assert index_versions(signed_server, "signed", "webapp") == ["1.2.0"]


def test_other_key_types_and_binary_keys_in_their_repository(signed_server, pgp, tmp_path):
    chart = packaged("common-lib-1.4.0.tgz")
    assert push(signed_server, "other", chart, pgp.prov(chart, "ecdsa-signer"), tmp_path).status == 201
    # A binary key imported through the admin API is trusted for the repository named.
    key = open(pgp_file("ed25519-signer.pub.gpg"), "rb").read()
    imported = admin(signed_server, "/api/admin/signers?repo=other", "--data-binary", "@" + pgp_file("ed25519-signer.pub.gpg"))
    assert imported.status == 201, imported
    assert imported.json()["imported"][0]["fingerprint"] == PGP_KEYS["ed25519-signer"]["fingerprint"]
    assert key
    chart = packaged("batch-jobs-3.0.0.tgz")
    assert push(signed_server, "other", chart, pgp.prov(chart, "ed25519-signer"), tmp_path).status == 201


# --- Every rejection names its check and stores nothing ------------------------------------------

def regzipped(tmp_path, chart):
    """The same chart archive with different bytes (gzip header and level)."""
    data = gzip.decompress(open(chart, "rb").read())
    path = tmp_path / os.path.basename(chart)
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=1))
    return str(path)


def rejection_cases(pgp, tmp_path):
    chart = packaged("redis-lite-0.8.2.tgz")
    good = pgp.prov(chart, "ed25519-signer").decode()
    second = pgp.prov(packaged("redis-lite-0.8.1.tgz"), "rsa-signer").decode()
    other_signer = os.path.join(str(tmp_path), "stranger")
    os.makedirs(other_signer, mode=0o700)
    subprocess.run(["gpg", "--homedir", other_signer, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-generate-key", "Stranger <stranger@test.invalid>", "ed25519", "sign", "1d"],
                   check=True, capture_output=True)
    stranger = subprocess.run(["gpg", "--homedir", other_signer, "--batch", "--clearsign", "--digest-algo", "SHA512"],
                              input=pgp.body(chart).encode(), capture_output=True, check=True).stdout
    return {
        "unknown key": (chart, stranger, "signature"),
        "key trusted only for another repository": (chart, pgp.prov(chart, "ecdsa-signer"), "trusted-signer"),
        "untrusted key": (chart, pgp.prov(chart, "untrusted-signer"), "signature"),
        "tampered chart bytes": (regzipped(tmp_path, chart), good.encode(), "file-digest"),
        "tampered signed body": (chart, good.replace("version: 0.8.2", "version: 0.8.3", 1).encode(), "signature"),
        "prov of another version": (chart, pgp.prov(packaged("redis-lite-0.8.1.tgz"), "ed25519-signer"),
                                    "chart-identity"),
        "prov of another chart": (chart, pgp.prov(packaged("webapp-1.0.0.tgz"), "ed25519-signer"), "chart-identity"),
        "prov naming a different file": (chart, pgp.prov(chart, "ed25519-signer", file_name="redis-lite-latest.tgz"),
                                         "file-digest"),
        "SHA-1 signature": (chart, pgp.prov(chart, "rsa-signer", digest="SHA1"), "hash-algorithm"),
        "expired key": (chart, pgp.prov(chart, "expired-signer", time="20240601T000000"), "key-validity"),
        "signature dated in the future": (chart, pgp.prov(chart, "ed25519-signer", time="20300101T000000"),
                                          "signature-time"),
        "text appended after the signature": (chart, (good + "files:\n  redis-lite-0.8.2.tgz: sha256:00\n").encode(),
                                              "envelope"),
        "two signature blocks": (chart, (good + second).encode(), "envelope"),
    }


def test_every_failed_check_is_a_403_naming_it_and_nothing_is_stored(signed_server, pgp, tmp_path):
    failures = []
    cases = rejection_cases(pgp, tmp_path)
    for label, (chart, prov, check) in cases.items():
        response = push(signed_server, "signed", chart, prov, tmp_path)
        body = response.json() if response.body else {}
        if response.status != 403 or check not in body.get("failedChecks", []) or "error" not in body:
            failures.append(f"{label}: {response.status} {body}")
    assert not failures, "\n".join(failures)
    # Nothing was stored: not in the index, not downloadable, not in the API, no prov.
    assert index_versions(signed_server, "signed", "redis-lite") == []
    assert signed_server.curl("/signed/charts/redis-lite-0.8.2.tgz").status == 404
    assert signed_server.curl("/signed/charts/redis-lite-0.8.2.tgz.prov").status == 404
    assert signed_server.curl("/api/signed/charts/redis-lite/0.8.2").status == 404
    # Every verdict was audited with who uploaded and what failed.
    events = admin(signed_server, "/api/admin/audit?repo=signed&outcome=rejected&limit=100").json()["events"]
    assert len(events) == len(cases)
    assert all(e["actor"] == "cert:ci-pusher" and e["detail"]["failedChecks"] for e in events)
    # The revoked key: revoke through the admin API, then a fresh signature is refused.
    fingerprint = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    revoked = admin(signed_server, f"/api/admin/signers/{fingerprint}/revocation",
                    "--data-binary", "@" + pgp_file("hard-revoked-signer.rev.asc"))
    assert revoked.status == 200, revoked
    chart = packaged("redis-lite-0.8.2.tgz")
    response = push(signed_server, "signed", chart, pgp.prov(chart, "hard-revoked-signer"), tmp_path)
    assert response.status == 403 and response.json()["failedChecks"] == ["revocation"], response
    # And the valid prov still goes through afterwards.
    assert push(signed_server, "signed", chart, pgp.prov(chart, "ed25519-signer"), tmp_path).status == 201


def test_warn_mode_publishes_and_records_the_failed_checks(signed_server, pgp, tmp_path):
    chart = packaged("legacy-ingress-0.9.7.tgz")
    response = push(signed_server, "warned", chart, pgp.prov(chart, "untrusted-signer"), tmp_path)
    assert response.status == 201
    assert index_versions(signed_server, "warned", "legacy-ingress") == ["0.9.7"]
    verdict = admin(signed_server, "/api/admin/charts/warned/legacy-ingress/0.9.7/provenance").json()["verdict"]
    failed = [c["name"] for c in verdict["checks"] if not c["passed"]]
    assert "signature" in failed and "trusted-signer" in failed and "file-digest" not in failed


# --- Two-step uploads ----------------------------------------------------------------------------

def test_chart_then_prov_publishes_only_when_the_prov_arrives(signed_server, pgp, tmp_path):
    chart = packaged("cert-operator-2.3.1.tgz")
    staged = push(signed_server, "signed", chart)
    assert staged.status == 202 and staged.json() == {"saved": False, "pending": "provenance"}, staged
    # Invisible everywhere while staged.
    assert index_versions(signed_server, "signed", "cert-operator") == []
    assert signed_server.curl("/signed/charts/cert-operator-2.3.1.tgz").status == 404
    assert signed_server.curl("/api/signed/charts/cert-operator/2.3.1").status == 404
    # A bad prov is refused and the stage stays.
    bad = write(tmp_path, "bad.prov", pgp.prov(chart, "untrusted-signer"))
    refused = signed_server.curl("/api/signed/prov", "--data-binary", "@" + bad, cert="ci-pusher")
    assert refused.status == 403 and "trusted-signer" in refused.json()["failedChecks"]
    assert index_versions(signed_server, "signed", "cert-operator") == []
    good = write(tmp_path, "good.prov", pgp.prov(chart, "rsa-signer"))
    published = signed_server.curl("/api/signed/prov", "--data-binary", "@" + good, cert="ci-pusher")
    assert published.status == 201, published
    assert index_versions(signed_server, "signed", "cert-operator") == ["2.3.1"]
    assert signed_server.curl("/signed/charts/cert-operator-2.3.1.tgz.prov").body == open(good, "rb").read()


def test_an_expired_stage_leaves_only_an_audit_row(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config(ttl=1))
    chart = packaged("node-agent-0.3.0-alpha.1.tgz")
    assert push(server, "signed", chart).status == 202
    # The sweeper runs every TTL; ask the audit log until it reports the expiry (each question is
    # a real request; no sleeping).
    for _ in range(100000):
        events = admin(server, "/api/admin/audit?repo=signed&action=stage").json()["events"]
        if events:
            break
    assert events[0]["outcome"] == "expired" and events[0]["detail"]["uploader"] == "cert:ci-pusher"
    prov = write(tmp_path, "late.prov", pgp.prov(chart, "rsa-signer"))
    late = server.curl("/api/signed/prov", "--data-binary", "@" + prov, cert="ci-pusher")
    assert late.status == 404
    assert index_versions(server, "signed", "node-agent") == []
    # The same chart can be pushed again from scratch.
    assert push(server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path).status == 201


# --- Revocation, quarantine and restore ------------------------------------------------------------

def test_revocations_quarantine_exactly_the_charts_they_should(server_factory, pgp, tmp_path):
    signed_server = server_factory(provenance_config())
    before, after = "20240601T000000", None  # revocations in keys-test are dated 2025-01-01
    uploads = [
        ("webapp-1.0.0.tgz", "hard-revoked-signer", before),
        ("webapp-1.1.0.tgz", "hard-revoked-signer", after),
        ("webapp-1.1.1+hotfix.3.tgz", "soft-revoked-signer", before),
        ("webapp-1.2.0.tgz", "soft-revoked-signer", after),
        ("webapp-2.0.0-beta.2+build.7.tgz", "rsa-signer", after),
    ]
    for name, key, time in uploads:
        chart = packaged(name)
        assert push(signed_server, "signed", chart, pgp.prov(chart, key, time=time), tmp_path).status == 201, name
    assert len(index_versions(signed_server, "signed", "webapp")) == 5

    hard = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    soft = PGP_KEYS["soft-revoked-signer"]["fingerprint"]
    # A certificate for another key is refused.
    wrong = admin(signed_server, f"/api/admin/signers/{soft}/revocation", "--data-binary",
                  "@" + pgp_file("hard-revoked-signer.rev.asc"))
    assert wrong.status == 400
    result = admin(signed_server, f"/api/admin/signers/{hard}/revocation", "--data-binary",
                   "@" + pgp_file("hard-revoked-signer.rev.asc")).json()
    assert result["kind"] == "hard"
    assert sorted(q["version"] for q in result["quarantined"]) == ["1.0.0", "1.1.0"]
    result = admin(signed_server, f"/api/admin/signers/{soft}/revocation", "--data-binary",
                   "@" + pgp_file("soft-revoked-signer.rev.asc")).json()
    assert result["kind"] == "soft" and result["revokedAt"].startswith("2025-01-01")
    assert [q["version"] for q in result["quarantined"]] == ["1.2.0"]

    assert sorted(index_versions(signed_server, "signed", "webapp")) == ["1.1.1+hotfix.3", "2.0.0-beta.2+build.7"]
    withheld = signed_server.curl("/signed/charts/webapp-1.1.0.tgz")
    assert withheld.status == 403 and "revoked" in withheld.json()["error"]
    assert signed_server.curl("/signed/charts/webapp-1.2.0.tgz.prov").status == 403
    listed = admin(signed_server, "/api/admin/quarantine").json()["quarantined"]
    assert sorted(q["version"] for q in listed) == ["1.0.0", "1.1.0", "1.2.0"]
    assert all(q["reason"] for q in listed)
    assert signed_server.curl("/api/admin/quarantine").status == 401
    assert signed_server.curl("/api/admin/quarantine", cert="ci-pusher").status == 403

    # The quarantine survives a restart.
    assert signed_server.stop() == 0
    signed_server = server_factory(provenance_config())
    assert sorted(index_versions(signed_server, "signed", "webapp")) == ["1.1.1+hotfix.3", "2.0.0-beta.2+build.7"]
    assert signed_server.curl("/signed/charts/webapp-1.0.0.tgz").status == 403

    restored = admin(signed_server, "/api/admin/quarantine/signed/webapp/1.2.0/restore", "-X", "POST")
    assert restored.status == 200, restored
    assert "1.2.0" in index_versions(signed_server, "signed", "webapp")
    assert signed_server.curl("/signed/charts/webapp-1.2.0.tgz").status == 200
    assert admin(signed_server, "/api/admin/quarantine/signed/webapp/1.2.0/restore", "-X", "POST").status == 404


def test_distrust_affects_future_uploads_and_quarantines_on_request(signed_server, pgp, tmp_path):
    rsa = PGP_KEYS["rsa-signer"]["fingerprint"]
    first, second = packaged("redis-lite-0.8.1.tgz"), packaged("redis-lite-0.8.2.tgz")
    assert push(signed_server, "signed", first, pgp.prov(first, "rsa-signer"), tmp_path).status == 201
    gone = admin(signed_server, f"/api/admin/repositories/signed/signers/{rsa}", "-X", "DELETE")
    assert gone.status == 200 and gone.json()["quarantined"] == []
    # Published charts stay; new uploads signed by the key are refused.
    assert index_versions(signed_server, "signed", "redis-lite") == ["0.8.1"]
    refused = push(signed_server, "signed", second, pgp.prov(second, "rsa-signer"), tmp_path)
    assert refused.status == 403 and refused.json()["failedChecks"] == ["trusted-signer"]
    assert admin(signed_server, f"/api/admin/repositories/signed/signers/{rsa}", "-X", "DELETE").status == 404
    # Trust again, then distrust with ?quarantine=true: published charts are re-evaluated.
    assert admin(signed_server, "/api/admin/signers?repo=signed", "--data-binary",
                 "@" + pgp_file("rsa-signer.pub.asc")).status == 201
    result = admin(signed_server, f"/api/admin/repositories/signed/signers/{rsa}?quarantine=true", "-X", "DELETE")
    assert [q["version"] for q in result.json()["quarantined"]] == ["0.8.1"]
    assert index_versions(signed_server, "signed", "redis-lite") == []


# --- The signers view -----------------------------------------------------------------------------

def test_signers_list_expiry_revocation_repositories_and_counts(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config(admin_listen=True))
    admin_url = server.admin_url
    for name, key in [("redis-lite-0.8.1.tgz", "rsa-signer"), ("redis-lite-0.8.2.tgz", "rsa-signer"),
                      ("webapp-1.0.0.tgz", "subkey-signer")]:
        chart = packaged(name)
        assert push(server, "signed", chart, pgp.prov(chart, key), tmp_path).status == 201
    assert admin(server, admin_url + f"/api/admin/signers/{PGP_KEYS['soft-revoked-signer']['fingerprint']}/revocation",
                 "--data-binary", "@" + pgp_file("soft-revoked-signer.rev.asc")).status == 200

    signers = {s["fingerprint"]: s for s in admin(server, admin_url + "/api/admin/signers").json()["signers"]}
    assert set(signers) == {PGP_KEYS[k]["fingerprint"] for k in SIGNED_KEYS + ["ecdsa-signer"]}
    rsa = signers[PGP_KEYS["rsa-signer"]["fingerprint"]]
    assert rsa["algorithm"] == "rsa3072" and rsa.get("expires") is None and rsa.get("revoked") is None
    assert rsa["repositories"] == ["signed", "warned"] and rsa["chartsSigned"] == 2 and rsa["lastSignature"]
    ed = signers[PGP_KEYS["ed25519-signer"]["fingerprint"]]
    assert ed["expires"].startswith("2035-06-01") and not ed["expired"] and ed["chartsSigned"] == 0
    expired = signers[PGP_KEYS["expired-signer"]["fingerprint"]]
    assert expired["expires"].startswith("2025-01-01") and expired["expired"]
    soft = signers[PGP_KEYS["soft-revoked-signer"]["fingerprint"]]
    assert soft["revoked"]["kind"] == "soft" and soft["revoked"]["at"].startswith("2025-01-01")
    subkey = signers[PGP_KEYS["subkey-signer"]["fingerprint"]]
    assert subkey["chartsSigned"] == 1
    assert subkey["subkeys"][0]["fingerprint"] == PGP_KEYS["subkey-signer"]["signingFingerprint"]
    assert signers[PGP_KEYS["ecdsa-signer"]["fingerprint"]]["repositories"] == ["other"]
    one = admin(server, admin_url + f"/api/admin/signers/{PGP_KEYS['rsa-signer']['fingerprint']}").json()
    assert sorted(c["version"] for c in one["charts"]) == ["0.8.1", "0.8.2"]

    # Non-admins: 403 on the admin listener; everyone: 404 on the main one.
    assert server.curl(admin_url + "/api/admin/signers", cert="ci-pusher").status == 403
    assert server.curl(admin_url + "/api/admin/signers").status == 401
    assert admin(server, "/api/admin/signers").status == 404
    assert server.curl("/api/admin/signers", cert="ci-pusher").status == 404


# --- The CLI: chartwarden verify and chartwarden keys ------------------------------------------------

def test_verify_command_uses_the_same_checks(chartwarden_bin, pgp, tmp_path):
    chart = shutil.copy(packaged("webapp-1.1.0.tgz"), tmp_path / "webapp-1.1.0.tgz")
    (tmp_path / "webapp-1.1.0.tgz.prov").write_bytes(pgp.prov(str(chart), "rsa-signer"))

    def verify(*args):
        return subprocess.run([chartwarden_bin, "verify", str(chart), *args], capture_output=True, text=True, timeout=60)

    passed = verify("--keyring", pgp_file("rsa-signer.pub.asc"))
    assert passed.returncode == 0 and "provenance verified" in passed.stdout, passed
    other = verify("--keyring", pgp_file("ed25519-signer.pub.asc"))
    assert other.returncode == 1 and "FAIL  signature" in other.stdout
    as_json = verify("--keyring", pgp_file("rsa-signer.pub.asc"), "--json")
    assert json.loads(as_json.stdout)["signerFingerprint"] == PGP_KEYS["rsa-signer"]["fingerprint"]
    # A revocation inside the keyring applies with its reason: hard voids the signature.
    (tmp_path / "revoked.asc").write_bytes(open(pgp_file("hard-revoked-signer.pub.asc"), "rb").read()
                                           + open(pgp_file("hard-revoked-signer.rev.asc"), "rb").read())
    (tmp_path / "webapp-1.1.0.tgz.prov").write_bytes(pgp.prov(str(chart), "hard-revoked-signer", time="20240601T000000"))
    revoked = verify("--keyring", str(tmp_path / "revoked.asc"))
    assert revoked.returncode == 1 and "FAIL  revocation" in revoked.stdout, revoked.stdout
    tampered = tmp_path / "webapp-1.1.0.tgz"
    tampered.write_bytes(gzip.compress(gzip.decompress(tampered.read_bytes()), mtime=7))
    assert verify("--keyring", str(tmp_path / "revoked.asc")).returncode == 1


def test_keys_commands_manage_the_configured_trust_store(chartwarden_bin, server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    chart = packaged("redis-lite-0.8.1.tgz")
    assert push(server, "signed", chart, pgp.prov(chart, "soft-revoked-signer"), tmp_path).status == 201
    assert server.stop() == 0
    config = os.path.join(server.workdir, "chartwarden.yaml")

    def keys(*args):
        return subprocess.run([chartwarden_bin, "keys", *args, "--config", config], capture_output=True, text=True,
                              timeout=60, cwd=TOP)

    imported = keys("import", pgp_file("untrusted-signer.pub.asc"), "--repo", "other")
    assert imported.returncode == 0 and PGP_KEYS["untrusted-signer"]["fingerprint"] in imported.stdout, imported
    listed = {s["fingerprint"]: s for s in json.loads(keys("list").stdout)["signers"]}
    assert listed[PGP_KEYS["untrusted-signer"]["fingerprint"]]["repositories"] == ["other"]
    assert listed[PGP_KEYS["soft-revoked-signer"]["fingerprint"]]["chartsSigned"] == 1
    distrusted = keys("distrust", PGP_KEYS["untrusted-signer"]["fingerprint"], "--repo", "other")
    assert distrusted.returncode == 0, distrusted
    assert keys("distrust", PGP_KEYS["untrusted-signer"]["fingerprint"], "--repo", "other").returncode != 0
    revoked = keys("revoke", pgp_file("soft-revoked-signer.rev.asc"))
    assert revoked.returncode == 0 and "soft" in revoked.stdout and "quarantined signed/redis-lite-0.8.1" in revoked.stdout
    # The server, started again on the same data, withholds the chart.
    again = server_factory(provenance_config())
    assert again.curl("/signed/charts/redis-lite-0.8.1.tgz").status == 403


def test_key_algorithms_p256_accepted_and_short_rsa_refused(signed_server, tmp_path):
    home = tmp_path / "runtime-keys"
    home.mkdir(mode=0o700)

    def gpg(*args, input=None):
        return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                               *args], input=input, capture_output=True, check=True).stdout

    for uid, algorithm in [("p256 <p256@test.invalid>", "nistp256"), ("weak <weak@test.invalid>", "rsa1024")]:
        gpg("--quick-generate-key", uid, algorithm, "sign", "1d")
    p256 = gpg("--armor", "--export", "p256@test.invalid")
    weak = gpg("--armor", "--export", "weak@test.invalid")
    (tmp_path / "p256.asc").write_bytes(p256)
    (tmp_path / "weak.asc").write_bytes(weak)
    imported = admin(signed_server, "/api/admin/signers?repo=signed", "--data-binary", f"@{tmp_path / 'p256.asc'}")
    assert imported.status == 201 and imported.json()["imported"][0]["algorithm"] == "nistp256", imported
    refused = admin(signed_server, "/api/admin/signers?repo=signed", "--data-binary", f"@{tmp_path / 'weak.asc'}")
    assert refused.status == 400 and "2048" in refused.json()["error"]
    not_a_key = admin(signed_server, "/api/admin/signers?repo=signed", "--data-binary", "garbage")
    assert not_a_key.status == 400 and "error" in not_a_key.json()

    chart = packaged("redis-lite-0.8.1.tgz")
    from conftest import PGPSigner
    body = PGPSigner.body(chart)
    prov = gpg("--clearsign", "--digest-algo", "SHA512", "--local-user", "p256@test.invalid", input=body.encode())
    assert push(signed_server, "signed", chart, prov, tmp_path).status == 201
    # The accepted upload's audit event names the signer.
    events = admin(signed_server, "/api/admin/audit?repo=signed&action=upload").json()["events"]
    assert events[0]["detail"]["failedChecks"] == [] and events[0]["detail"]["signer"] == imported.json()["imported"][0]["fingerprint"]
