#!/usr/bin/env bash
# Verification cost: verified uploads per second (multipart chart + prov over HTTPS into an
# `enforce` repository, each one GPGME-verified, stored durably and indexed) next to
# `gpg --verify` on the same prov, and to the same uploads into a `mode: off` repository, all in
# the same run.
#
#   bench/provenance-verify.sh [UPLOADS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
uploads=${1:-200}
concurrency=${2:-2}
swift build -c release --product chartwarden >/dev/null
bin=$(swift build -c release --show-bin-path)/chartwarden
work=$(mktemp -d)
cw_pid=""
cleanup() { [ -n "$cw_pid" ] && kill "$cw_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/common.sh
pgp=$PWD/keys-test/pgp

{ chartwarden_config "$work"; cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - name: signed
    read: [anonymous]
    write: ["group:ci"]
    allowOverwrite: true
    provenance: {mode: enforce, trustedKeys: [$pgp/ed25519-signer.pub.asc]}
  - {name: plain, read: [anonymous], write: ["group:ci"], allowOverwrite: true}
YAML
} > "$work/chartwarden.yaml"
start_chartwarden "$work" "$bin"
port=$cw_port

# One chart and its prov, signed now with the test Ed25519 key.
mkdir -m 700 "$work/signer" "$work/verifier"
gpg --homedir "$work/signer" --batch --import "$pgp/ed25519-signer.secret.asc" 2>/dev/null
gpg --homedir "$work/verifier" --batch --import "$pgp/ed25519-signer.pub.asc" 2>/dev/null
chart=charts-fixtures/packaged/webapp-1.2.0.tgz
digest=$(sha256sum "$chart" | cut -c1-64)
{ tar -xzOf "$chart" webapp/Chart.yaml; printf '\n...\nfiles:\n  webapp-1.2.0.tgz: sha256:%s\n' "$digest"; } |
    gpg --homedir "$work/signer" --batch --clearsign --digest-algo SHA512 > "$work/webapp-1.2.0.tgz.prov"

python3 - "$port" "$chart" "$work/webapp-1.2.0.tgz.prov" "$work/verifier" "$uploads" "$concurrency" "$tls" <<'PY'
import http.client, os, ssl, subprocess, sys, threading, time
port, chart, prov, verifier, uploads, concurrency, tls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
chart_bytes, prov_bytes = open(chart, "rb").read(), open(prov, "rb").read()
boundary = "chartwardenbench"
body = b"".join([
    f"--{boundary}\r\nContent-Disposition: form-data; name=\"chart\"; filename=\"webapp-1.2.0.tgz\"\r\n"
    f"Content-Type: application/gzip\r\n\r\n".encode(), chart_bytes,
    f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"prov\"; filename=\"webapp-1.2.0.tgz.prov\"\r\n\r\n".encode(),
    prov_bytes, f"\r\n--{boundary}--\r\n".encode()])
context = ssl.create_default_context(cafile=f"{tls}/ca.crt")
context.load_cert_chain(f"{tls}/client-ci-pusher.crt", f"{tls}/client-ci-pusher.key")

def worker(count, failures, repository="signed"):
    connection = http.client.HTTPSConnection("localhost", int(port), context=context)
    for _ in range(count):
        connection.request("POST", f"/api/{repository}/charts?force=true", body,
                           {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            failures.append(response.status)

def run(repository):
    failures = []
    worker(3, failures, repository)  # warm up (TLS session, first index render)
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(uploads // concurrency, failures, repository))
               for _ in range(concurrency)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    assert not failures, f"uploads to {repository} failed: {failures[:5]}"
    return time.perf_counter() - start

done = (uploads // concurrency) * concurrency
elapsed = run("signed")
upload_rate = done / elapsed
plain_rate = done / run("plain")

start = time.perf_counter()
for _ in range(done):
    subprocess.run(["gpg", "--homedir", verifier, "--batch", "--quiet", "--verify", prov], check=True,
                   capture_output=True)
gpg_elapsed = time.perf_counter() - start
gpg_rate = done / gpg_elapsed
print(f"verified uploads:        {upload_rate:8.1f} /s  ({done} uploads, concurrency {concurrency}, "
      f"{1000 * elapsed / done * concurrency:.1f} ms each)")
print(f"gpg --verify (same prov): {gpg_rate:8.1f} /s  ({1000 * gpg_elapsed / done:.1f} ms each, sequential)")
print(f"unverified uploads (off): {plain_rate:8.1f} /s  (same bytes, same durability, no verification)")
print(f"ratio verified uploads / gpg --verify: {upload_rate / gpg_rate:.2f}x; "
      f"verified / unverified uploads: {upload_rate / plain_rate:.2f}x")
PY
