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


# --- Follow-up review (GnuPG 2.2.40 by hand) ----------------------------------------------------

def revoke(server, key, path):
    return admin(server, f"/api/admin/signers/{PGP_KEYS[key]['fingerprint']}/revocation", "--data-binary", f"@{path}")


def test_a_planted_unchecked_revocation_neither_counts_nor_blocks_the_owners_real_one(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    chart = packaged("webapp-1.1.0.tgz")
    assert push(server, "signed", chart, pgp.prov(chart, "hard-revoked-signer"), tmp_path).status == 201
    # The victim's key block carrying its own revocation re-dated 2100 with an unhashed issuer key
    # id GnuPG does not hold: GnuPG keeps it unchecked and the key unrevoked, so the import passes.
    planted = admin(server, "/api/admin/signers?repo=signed", "--data-binary",
                    "@" + pgp_file("hard-revoked-signer.foreign-issuer.pub.asc"))
    assert planted.status in (200, 201), planted
    assert signer(server, "hard-revoked-signer").get("revoked") is None
    # The owner's genuine "compromised" revocation still applies: the planted signature is
    # neither "dated in the future" nor the key's own.
    result = revoke(server, "hard-revoked-signer", pgp_file("hard-revoked-signer.rev.asc"))
    assert result.status == 200, result
    assert result.json()["kind"] == "hard" and result.json()["revokedAt"].startswith("2025-01-01"), result
    assert [q["version"] for q in result.json()["quarantined"]] == ["1.1.0"]
    assert server.curl("/signed/charts/webapp-1.1.0.tgz").status == 403


def test_a_revocation_certificate_imports_nothing_but_the_revoked_keys_checked_packets(server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    certificate = tmp_path / "revocation-and-a-stowaway.asc"
    certificate.write_bytes(open(pgp_file("hard-revoked-signer.rev.asc"), "rb").read()
                            + open(pgp_file("untrusted-signer.pub.asc"), "rb").read())
    assert revoke(server, "hard-revoked-signer", certificate).status == 200
    # untrusted-signer rode along in the certificate: the server's keyring must not know it.
    chart = packaged("webapp-1.2.0.tgz")
    refused = push(server, "signed", chart, pgp.prov(chart, "untrusted-signer"), tmp_path)
    assert refused.status == 403, refused
    assert "signature" in refused.json()["failedChecks"], refused
    listed = {s["fingerprint"] for s in admin(server, "/api/admin/signers").json()["signers"]}
    assert PGP_KEYS["untrusted-signer"]["fingerprint"] not in listed


def edit_key(pgp, home, fingerprint, commands):
    """Runs gpg --edit-key on a copy of the signing home (the session's home stays as it was)."""
    subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                    "--command-fd", "0", "--edit-key", fingerprint], input=commands.encode(), capture_output=True,
                   check=True)
    return subprocess.run(["gpg", "--homedir", str(home), "--armor", "--export", fingerprint], capture_output=True,
                          check=True).stdout


def test_a_revoked_signing_subkey_quarantines_what_it_signed_even_under_a_soft_key_revocation(
        server_factory, pgp, tmp_path):
    server = server_factory(provenance_config())
    chart = packaged("webapp-1.0.0.tgz")
    # Signed by subkey-signer's signing subkey in mid-2025, well before the key is retired below.
    assert push(server, "signed", chart, pgp.prov(chart, "subkey-signer", time="20250701T000000"), tmp_path).status == 201
    fingerprint = PGP_KEYS["subkey-signer"]["fingerprint"]
    # The owner's two revocations, each made in its own copy of the signing home (GnuPG does not
    # revoke a subkey of a key it already holds revoked).
    homes = []
    for name in ["retire-home", "subkey-home"]:
        homes.append(tmp_path / name)
        shutil.copytree(pgp.home, homes[-1], ignore=shutil.ignore_patterns("S.*"))
    retired = tmp_path / "retired.asc"
    retired.write_bytes(edit_key(pgp, homes[0], fingerprint, "revkey\ny\n2\n\ny\nsave\n"))  # superseded
    subkey_revoked = tmp_path / "subkey-revoked.asc"
    subkey_revoked.write_bytes(edit_key(pgp, homes[1], fingerprint, "key 1\nrevkey\ny\n1\n\ny\nsave\n"))
    # The whole key retired (superseded, now): soft, so the 2025 signature stays valid.
    soft = revoke(server, "subkey-signer", retired)
    assert soft.status == 200 and soft.json()["kind"] == "soft" and soft.json()["quarantined"] == [], soft
    # Then the signing subkey revoked: what it signed is quarantined, the soft record notwithstanding.
    result = revoke(server, "subkey-signer", subkey_revoked)
    assert result.status == 200, result
    assert [q["version"] for q in result.json()["quarantined"]] == ["1.0.0"], result
    assert server.curl("/signed/charts/webapp-1.0.0.tgz").status == 403


def test_verify_refuses_a_keyring_carrying_a_future_dated_revocation(chartwarden_bin, pgp, tmp_path):
    chart = shutil.copy(packaged("webapp-1.1.0.tgz"), tmp_path / "webapp-1.1.0.tgz")
    (tmp_path / "webapp-1.1.0.tgz.prov").write_bytes(pgp.prov(str(chart), "rsa-signer"))
    keyring = tmp_path / "rsa-with-future-revocation.asc"
    keyring.write_bytes(open(pgp_file("rsa-signer.pub.asc"), "rb").read()
                        + open(pgp_file("rsa-signer.future.rev.asc"), "rb").read())
    result = subprocess.run([chartwarden_bin, "verify", str(chart), "--keyring", str(keyring)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, result.stdout
    assert "future" in result.stderr, result.stderr


def test_a_configured_key_the_checks_refuse_is_skipped_at_startup(server_factory):
    def config(config):
        provenance_config()(config)
        config["repositories"][0]["provenance"]["trustedKeys"].insert(0, pgp_file("weak-dsa-signer.pub.asc"))
    server = server_factory(config)
    listed = {s["fingerprint"] for s in admin(server, "/api/admin/signers").json()["signers"]}
    assert PGP_KEYS["weak-dsa-signer"]["fingerprint"] not in listed
    assert PGP_KEYS["rsa-signer"]["fingerprint"] in listed
