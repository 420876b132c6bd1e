"""OIDC workload identity on real sockets (README, "OIDC workload identity"): a local issuer
whose key pairs are made here, its JWKS served by a test HTTPS server, JWTs presented by curl
as Bearer tokens; the refusals, the rotation of keys, and the audit of logins."""
import base64
import json
import os
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import make_htpasswd, packaged, tls_file

ISSUER = "https://token.actions.example"
AUDIENCE = "chartwarden"
CLAIMS = {"repository": "octo-org/app", "ref": "refs/heads/main", "sub": "repo:octo-org/app:ref:refs/heads/main"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def number(value, length=None):
    length = length or (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(length, "big"))


class Key:
    """A signing key of the test issuer: RS256 (RSA 2048) or ES256 (P-256)."""

    def __init__(self, kid, algorithm="RS256"):
        self.kid, self.algorithm = kid, algorithm
        if algorithm == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        public = self.private.public_key().public_numbers()
        if self.algorithm == "RS256":
            return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig", "n": number(public.n), "e": number(public.e)}
        return {"kty": "EC", "kid": self.kid, "alg": "ES256", "use": "sig", "crv": "P-256",
                "x": number(public.x, 32), "y": number(public.y, 32)}

    def sign(self, claims, kid=None):
        header = {"alg": self.algorithm, "typ": "JWT", "kid": kid or self.kid}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        if self.algorithm == "RS256":
            signature = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input.decode() + "." + b64url(signature)


def claims(**changes):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "iat": now - 5, "nbf": now - 5, "exp": now + 600, **CLAIMS}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


class Issuer:
    """The JWKS of the test issuer, in a directory served over HTTPS with the test CA."""

    def __init__(self, directory, static_server):
        self.directory = directory
        self.keys = []
        self.url = static_server(directory, tls=True) + "/jwks.json"

    def publish(self, *keys):
        self.keys = list(keys)
        temporary = os.path.join(self.directory, "jwks.json.tmp")
        with open(temporary, "w") as handle:
            json.dump({"keys": [key.jwk() for key in keys]}, handle)
        os.replace(temporary, os.path.join(self.directory, "jwks.json"))


def oidc_config(issuer, htpasswd=None, per_address=10):
    def mutate(config):
        config["auth"]["oidc"] = [{"issuer": ISSUER, "audience": AUDIENCE,
                                   "jwks": {"url": issuer.url, "caFile": tls_file("ca.crt")},
                                   "principal": "ci:{repository}", "require": {"ref": "refs/heads/main"}}]
        config["auth"]["failureLimit"] = {"perAddress": per_address, "perUser": 30, "refillSeconds": 600}
        config["repositories"][0]["write"].append("ci:octo-org/app")
        if htpasswd:
            config["auth"]["htpasswd"] = htpasswd
            config["repositories"][2]["read"].append("user:reader")
    return mutate


def push(server, token, chart="redis-lite-0.8.1.tgz", repo="stable", interface=None):
    return server.curl(f"/api/{repo}/charts", "--data-binary", "@" + packaged(chart),
                       "-H", f"Authorization: Bearer {token}", interface=interface)


def test_a_jwt_of_the_issuer_with_the_required_claim_pushes_and_is_audited(server_factory, static_server, tmp_path):
    issuer = Issuer(tmp_path, static_server)
    rsa_key, ec_key = Key("rsa-1"), Key("ec-1", "ES256")
    issuer.publish(rsa_key, ec_key)
    server = server_factory(oidc_config(issuer))
    token = rsa_key.sign(claims())
    assert push(server, token).status == 201
    # The same token again (a job's next request) is accepted without a second login row.
    assert server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {token}").status == 200
    # ES256, and Helm's way: the basic password of user `token`.
    assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged("redis-lite-0.8.2.tgz"),
                       "-u", "token:" + ec_key.sign(claims())).status == 201
    # The principal is ci:octo-org/app: it writes stable only.
    assert push(server, token, repo="private").status == 404
    # ci:octo-org/other is named by no grant: refused at once, not audited (review F3).
    other = rsa_key.sign(claims(repository="octo-org/other"))
    refused = push(server, other, chart="redis-lite-0.8.2.tgz")
    assert refused.status == 401 and "not granted" in refused.json()["error"], refused

    events = server.curl("/api/admin/audit?action=authenticate&outcome=accepted", cert="admin").json()["events"]
    # One login per workload (issuer, subject, principal) and hour, whatever the number of its
    # tokens: the RS256 and ES256 tokens of ci:octo-org/app are one row.
    assert len(events) == 1, events
    assert {event["subject"] for event in events} == {CLAIMS["sub"]}
    assert {event["detail"]["principal"] for event in events} == {"ci:octo-org/app"}
    assert all(event["detail"]["issuer"] == ISSUER for event in events)
    uploads = server.curl("/api/admin/audit?action=upload", cert="admin").json()["events"]
    assert {event["actor"] for event in uploads} == {"ci:octo-org/app"}


def test_expired_wrong_audience_wrong_claim_and_other_key_get_401_and_are_not_password_guesses(
        server_factory, static_server, chartwarden_bin, tmp_path):
    issuer = Issuer(tmp_path, static_server)
    key, stranger = Key("rsa-1"), Key("rsa-1")
    issuer.publish(key)
    htpasswd = make_htpasswd(chartwarden_bin, tmp_path / "htpasswd", {"reader": "reader-pw"})
    # Four failures from one address reach a limit of four; counted as password guesses, the
    # password login that follows from that address would get 429.
    server = server_factory(oidc_config(issuer, htpasswd, per_address=4))
    now = int(time.time())
    refused = {
        "expired": key.sign(claims(iat=now - 1200, nbf=now - 1200, exp=now - 600)),
        "audience": key.sign(claims(aud="someone-else")),
        "claim": key.sign(claims(ref="refs/heads/feature")),
        "other key": stranger.sign(claims()),
    }
    for name, token in refused.items():
        result = push(server, token, interface="127.0.0.2")
        assert result.status == 401, (name, result)
        assert "error" in result.json()
    assert server.curl("/private/index.yaml", user="reader:reader-pw", interface="127.0.0.2").status == 200
    # That address is now limited for bearer tokens: refused before any signature check, the
    # right token too (review F13); from another address the right token pushes.
    assert push(server, key.sign(claims()), interface="127.0.0.2").status == 429
    assert push(server, key.sign(claims()), interface="127.0.0.3").status == 201
    # Once the issuer's key proved valid, its tokens pass the limited address again: one caller's
    # garbage behind a shared NAT does not lock the working jobs out (webhooks review F1).
    assert push(server, key.sign(claims()), chart="redis-lite-0.8.2.tgz", interface="127.0.0.2").status == 201
    events = server.curl("/api/admin/audit?action=authenticate&outcome=denied", cert="admin").json()["events"]
    assert sorted(event["detail"]["reason"] for event in events) == [
        "oidc-audience", "oidc-claim", "oidc-expired", "oidc-signature"], events


def test_unknown_key_ids_refresh_the_jwks_at_most_every_30_seconds(server_factory, static_server, tmp_path):
    issuer = Issuer(tmp_path, static_server)
    first, second, third = Key("k1"), Key("k2", "ES256"), Key("k3")
    issuer.publish(first)
    server = server_factory(oidc_config(issuer))
    assert push(server, first.sign(claims())).status == 201
    # The issuer rotates: a token naming the new key id makes the server fetch the JWKS again.
    issuer.publish(first, second)
    assert push(server, second.sign(claims()), chart="redis-lite-0.8.2.tgz").status == 201
    # A second unknown key id right after is refused without another fetch.
    issuer.publish(first, second, third)
    result = server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {third.sign(claims())}")
    assert result.status == 401, result
    events = server.curl("/api/admin/audit?action=authenticate&outcome=denied", cert="admin").json()["events"]
    assert [event["detail"]["reason"] for event in events] == ["oidc-unknown-key"]


def test_algorithm_none_and_hmac_are_refused(server_factory, static_server, tmp_path):
    issuer = Issuer(tmp_path, static_server)
    key = Key("k1")
    issuer.publish(key)
    server = server_factory(oidc_config(issuer))
    body = b64url(json.dumps(claims()).encode())
    for algorithm in ("none", "HS256"):
        header = b64url(json.dumps({"alg": algorithm, "kid": "k1"}).encode())
        token = f"{header}.{body}.{b64url(b'x' * 32)}"
        assert push(server, token).status == 401, algorithm
    events = server.curl("/api/admin/audit?action=authenticate&outcome=denied", cert="admin").json()["events"]
    assert [event["detail"]["reason"] for event in events] == ["oidc-algorithm", "oidc-algorithm"]


# --- hostile review (F2, F3, F5, F6, F11) ------------------------------------------------------

def refused_at_startup(chartwarden_bin, tmp_path, mutate):
    """Starts `serve` with a config that must be refused; returns its stderr."""
    import subprocess
    import yaml
    from conftest import base_config
    settings = base_config(tmp_path / "data")
    mutate(settings)
    config = tmp_path / "refused.yaml"
    config.write_text(yaml.safe_dump(settings))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "listening" not in result.stdout, result.stdout
    return result.stderr


def test_two_issuers_may_not_share_a_principal_kind(chartwarden_bin, static_server, tmp_path):
    """F2: `ci:{repository}` for one issuer and `ci:{project_path}` for another would make
    octo-org/app on the second platform act as octo-org/app of the first."""
    (tmp_path / "a").mkdir()
    issuer = Issuer(tmp_path / "a", static_server)
    issuer.publish(Key("a-1"))

    def mutate(config):
        oidc_config(issuer)(config)
        config["auth"]["oidc"].append({"issuer": "https://gitlab.other.example", "audience": AUDIENCE,
                                       "jwks": {"url": issuer.url, "caFile": tls_file("ca.crt")},
                                       "principal": "ci:{project_path}"})
    stderr = refused_at_startup(chartwarden_bin, tmp_path, mutate)
    assert "auth.oidc[1].principal" in stderr and ISSUER in stderr, stderr


def test_many_tokens_of_one_workload_are_one_login(server_factory, static_server, tmp_path):
    """F3: each fresh JWT of a job (a new `jti` per step) was one more audit row."""
    issuer = Issuer(tmp_path, static_server)
    key = Key("rsa-1")
    issuer.publish(key)
    server = server_factory(oidc_config(issuer))
    for index in range(25):
        token = key.sign(claims(jti=f"j{index}"))
        assert server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {token}").status == 200
    other = key.sign(claims(sub="repo:octo-org/app:ref:refs/heads/main:job:2", jti="other"))
    assert server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {other}").status == 200
    events = server.curl("/api/admin/audit?action=authenticate&outcome=accepted&limit=500", cert="admin").json()["events"]
    assert len(events) == 2, events
    # `require: {ref: …}` pins no owner: the server says so at startup.
    assert "require pins no owner claim" in server.log(), server.log()[-2000:]


def test_a_jwk_without_alg_verifies_its_key_type_only(server_factory, static_server, tmp_path):
    """F5: `alg` is optional in a JWK (Entra ID, Keycloak omit it); such keys were dropped."""
    issuer = Issuer(tmp_path, static_server)
    rsa_key, ec_key = Key("rsa-1"), Key("ec-1", "ES256")
    jwks = [rsa_key.jwk(), ec_key.jwk()]
    for jwk in jwks:
        del jwk["alg"]
    with open(os.path.join(tmp_path, "jwks.json"), "w") as handle:
        json.dump({"keys": jwks}, handle)
    server = server_factory(oidc_config(issuer))
    assert push(server, rsa_key.sign(claims())).status == 201
    assert push(server, ec_key.sign(claims()), chart="redis-lite-0.8.2.tgz").status == 201
    # The EC key named with an RSA algorithm in the header: refused before any verification.
    forged = b64url(json.dumps({"alg": "RS256", "kid": "ec-1"}).encode()) + "." + \
        b64url(json.dumps(claims()).encode()) + "." + b64url(b"x" * 256)
    assert server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {forged}").status == 401
    events = server.curl("/api/admin/audit?action=authenticate&outcome=denied", cert="admin").json()["events"]
    assert [event["detail"]["reason"] for event in events] == ["oidc-algorithm"], events


def test_a_workload_admin_cannot_manage_api_tokens(server_factory, static_server, tmp_path):
    """F6: a 10-minute JWT must not mint a 366-day API token (nor revoke others)."""
    issuer = Issuer(tmp_path, static_server)
    key = Key("rsa-1")
    issuer.publish(key)

    def mutate(config):
        oidc_config(issuer)(config)
        config["auth"]["groups"]["admins"].append("ci:octo-org/app")
    server = server_factory(mutate)
    auth = ("-H", f"Authorization: Bearer {key.sign(claims())}")
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 365 * 86400))
    minted = server.curl("/api/admin/tokens", "-X", "POST", "-H", "Content-Type: application/json", *auth,
                         "--data-binary", json.dumps({"name": "persist", "repositories": ["stable"],
                                                      "actions": ["write", "delete"], "expiresAt": later}))
    assert minted.status == 403 and "workload" in minted.json()["error"], minted
    assert server.curl("/api/admin/tokens", *auth).status == 403
    # The workload keeps the other admin routes (documented decision).
    assert server.curl("/api/admin/audit", *auth).status == 200
    assert server.curl("/api/admin/tokens", cert="admin").json()["tokens"] == []


def test_non_numeric_times_and_overlong_lifetimes_are_refused(server_factory, static_server, tmp_path):
    """F11: a string `nbf` was ignored; a token valid for days was honoured."""
    issuer = Issuer(tmp_path, static_server)
    key = Key("rsa-1")
    issuer.publish(key)
    server = server_factory(oidc_config(issuer))
    now = int(time.time())
    for token in (key.sign(claims(nbf=str(now + 86400))), key.sign(claims(iat="yesterday")),
                  key.sign(claims(exp=now + 2 * 86400))):
        assert push(server, token).status == 401
    events = server.curl("/api/admin/audit?action=authenticate&outcome=denied", cert="admin").json()["events"]
    assert sorted(event["detail"]["reason"] for event in events) == ["oidc-lifetime", "oidc-malformed", "oidc-malformed"]


def test_workloads_no_grant_names_get_401_and_cost_no_audit_row(server_factory, static_server, tmp_path):
    """Review F3: with a `require` that pins no owner, every repository of a public issuer has a
    valid token; each fresh identity was one audit row. A principal that no grant, admin list or
    group names can do nothing anonymous cannot: 401 at once, counted in a metric, not audited."""
    issuer = Issuer(tmp_path, static_server)
    key = Key("rsa-1")
    issuer.publish(key)
    server = server_factory(oidc_config(issuer, per_address=100))
    for index in range(25):
        token = key.sign(claims(repository=f"attacker/r{index}", jti=f"j{index}"))
        refused = server.curl("/stable/index.yaml", "-H", f"Authorization: Bearer {token}")
        assert refused.status == 401 and refused.json() == {"error": f"ci:attacker/r{index} is not granted anything"}
    events = server.curl("/api/admin/audit?action=authenticate&limit=500", cert="admin").json()["events"]
    assert events == [], events
    metrics = server.curl("/metrics", cert="admin").body.decode()
    assert 'chartwarden_auth_attempts_total{outcome="unnamed_principal"} 25' in metrics, metrics
    # The named workload still works, and is audited once.
    assert push(server, key.sign(claims())).status == 201
    events = server.curl("/api/admin/audit?action=authenticate&limit=500", cert="admin").json()["events"]
    assert [event["detail"]["principal"] for event in events] == ["ci:octo-org/app"]
