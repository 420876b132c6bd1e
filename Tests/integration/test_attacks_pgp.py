"""Issue #19, OpenPGP part: revocations GnuPG did not validate, revocations dated in the future,
signatures past their own expiry and DSA-1024 keys, each attacked on a real server over real
sockets. Every test here fails on the landed main (see keys-test/pgp/generate.sh for the material)."""
import shutil
import subprocess

from conftest import PGP_KEYS, packaged, pgp_file
from test_server_provenance import admin, index_versions, provenance_config, push


def signer(server, key):
    return admin(server, f"/api/admin/signers/{PGP_KEYS[key]['fingerprint']}").json()


def test_a_forged_soft_revocation_listed_first_does_not_soften_the_genuine_hard_one(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    uploads = [("webapp-1.0.0.tgz", "hard-revoked-signer", "20240601T000000"),  # back-dated: before 2025-01-01
               ("webapp-1.1.0.tgz", "hard-revoked-signer", None),
               ("webapp-1.2.0.tgz", "rsa-signer", None)]
    for name, key, time in uploads:
        chart = packaged(name)
        assert push(server, "signed", chart, pgp.prov(chart, key, time=time), tmp_path).status == 201, name

    # hard-revoked-signer.forged-first.rev.asc: a forged "superseded, 2100-01-01" revocation
    # (its signature does not verify) listed before the genuine "compromised, 2025-01-01" one.
    fingerprint = PGP_KEYS["hard-revoked-signer"]["fingerprint"]
    result = admin(server, f"/api/admin/signers/{fingerprint}/revocation", "--data-binary",
                   "@" + pgp_file("hard-revoked-signer.forged-first.rev.asc"))
    assert result.status == 200, result
    applied = result.json()
    assert applied["kind"] == "hard" and applied["revokedAt"].startswith("2025-01-01"), applied
    assert sorted(q["version"] for q in applied["quarantined"]) == ["1.0.0", "1.1.0"]
    assert signer(server, "hard-revoked-signer")["revoked"]["kind"] == "hard"
    assert index_versions(server, "signed", "webapp") == ["1.2.0"]
    assert server.curl("/signed/charts/webapp-1.0.0.tgz").status == 403
    # A back-dated signature made now is refused as well.
    chart = packaged("webapp-1.1.1+hotfix.3.tgz")
    refused = push(server, "signed", chart, pgp.prov(chart, "hard-revoked-signer", time="20240601T000000"), tmp_path)
    assert refused.status == 403 and refused.json()["failedChecks"] == ["revocation"], refused


def test_a_future_dated_revocation_is_refused_and_changes_nothing(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    chart = packaged("webapp-1.0.0.tgz")
    assert push(server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path).status == 201
    # A genuine "superseded" revocation of rsa-signer, dated 2100-01-01: as soft, it would keep
    # every signature made before 2100 valid, back-dated ones included.
    fingerprint = PGP_KEYS["rsa-signer"]["fingerprint"]
    refused = admin(server, f"/api/admin/signers/{fingerprint}/revocation", "--data-binary",
                    "@" + pgp_file("rsa-signer.future.rev.asc"))
    assert refused.status == 400 and "future" in refused.json()["error"], refused
    assert signer(server, "rsa-signer").get("revoked") is None
    assert server.curl("/signed/charts/webapp-1.0.0.tgz").status == 200
    # The server's GnuPG keyring did not take the revocation either: the key still signs.
    chart = packaged("webapp-1.1.0.tgz")
    accepted = push(server, "signed", chart, pgp.prov(chart, "rsa-signer"), tmp_path)
    assert accepted.status == 201, accepted


def test_a_signature_past_its_own_expiry_is_refused_naming_the_check(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    chart = packaged("redis-lite-0.8.1.tgz")

    def prov(lifetime, time=None):
        return pgp.gpg("--clearsign", "--digest-algo", "SHA512", "--default-sig-expire", lifetime, "--local-user",
                       PGP_KEYS["ed25519-signer"]["fingerprint"], input=pgp.body(chart).encode(), time=time)

    expired = push(server, "signed", chart, prov("1d", time="20250701T000000"), tmp_path)
    assert expired.status == 403, expired
    assert expired.json()["failedChecks"] == ["signature-expiry"] and "expired" in expired.json()["error"], expired
    assert index_versions(server, "signed", "redis-lite") == []
    # A signature whose expiry is still ahead is fine.
    assert push(server, "signed", chart, prov("30d"), tmp_path).status == 201


def test_a_dsa_1024_key_is_refused_at_import(server_factory):
    server = server_factory(provenance_config())
    refused = admin(server, "/api/admin/signers?repo=signed", "--data-binary", "@" + pgp_file("weak-dsa-signer.pub.asc"))
    assert refused.status == 400, refused
    error = refused.json()["error"]
    assert "dsa1024" in error and "2048" in error, error
    listed = {s["fingerprint"] for s in admin(server, "/api/admin/signers").json()["signers"]}
    assert PGP_KEYS["weak-dsa-signer"]["fingerprint"] not in listed


def test_a_prov_signed_by_a_dsa_1024_key_in_the_keyring_fails_key_validity(chartwarden_bin, pgp, tmp_path):
    chart = shutil.copy(packaged("webapp-1.1.0.tgz"), tmp_path / "webapp-1.1.0.tgz")
    (tmp_path / "webapp-1.1.0.tgz.prov").write_bytes(pgp.prov(str(chart), "weak-dsa-signer"))
    result = subprocess.run([chartwarden_bin, "verify", str(chart), "--keyring", pgp_file("weak-dsa-signer.pub.asc")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout
    assert "FAIL  key-validity" in result.stdout and "dsa1024" in result.stdout, result.stdout


def test_a_key_arriving_with_a_future_dated_revocation_is_refused(server_factory, tmp_path):
    server = server_factory()
    key_file = tmp_path / "rsa-with-future-revocation.asc"
    key_file.write_bytes(open(pgp_file("rsa-signer.pub.asc"), "rb").read()
                         + open(pgp_file("rsa-signer.future.rev.asc"), "rb").read())
    refused = admin(server, "/api/admin/signers?repo=stable", "--data-binary", f"@{key_file}")
    assert refused.status == 400 and "future" in refused.json()["error"], refused
    listed = {s["fingerprint"] for s in admin(server, "/api/admin/signers").json()["signers"]}
    assert PGP_KEYS["rsa-signer"]["fingerprint"] not in listed
