#!/usr/bin/env bash
# Generates the TEST-ONLY TLS material under keys-test/tls/: a test CA, a server certificate for
# localhost / 127.0.0.1 / ::1, client certificates (CN = principal name) signed by that CA, and a
# second, untrusted CA with a client certificate of its own, and a client certificate from the test
# CA that expired in 2025 (CN=reader), and one whose CN is JSON-looking text (`x","actor":"admin`) for
# the audit-forgery test. Never use these keys anywhere else.
# Re-running replaces everything (10-year validity, so the committed files stay usable);
# `generate.sh expired` makes only the expired certificate, `generate.sh quoted` only the quoted-CN
# one, from the existing CA.
set -euo pipefail
cd "$(dirname "$0")"
days=3650
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() { # name subject
    ec "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days $days -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.crt"
}

issue() { # name subject ca extfile-lines...
    local name=$1 subject=$2 ca=$3; shift 3
    ec "$name.key"
    openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
    printf '%s\n' "$@" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -sha256 -days $days \
        -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}

# A certificate valid 2024-01-01 .. 2025-01-01: `openssl x509` cannot backdate, `openssl ca` can.
issue_expired() {
    local scratch
    scratch=$(mktemp -d)
    ec client-expired.key
    openssl req -new -key client-expired.key -subj "/CN=reader" -out "$scratch/req.csr"
    : > "$scratch/index"
    echo 01 > "$scratch/serial"
    cat > "$scratch/ca.cnf" <<CONF
[ca]
default_ca = test
[test]
database = $scratch/index
new_certs_dir = $scratch
serial = $scratch/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[client]
extendedKeyUsage = clientAuth
keyUsage = critical,digitalSignature
CONF
    openssl ca -batch -config "$scratch/ca.cnf" -cert ca.crt -keyfile ca.key -notext -extensions client \
        -startdate 20240101000000Z -enddate 20250101000000Z -in "$scratch/req.csr" -out client-expired.crt 2>/dev/null
    rm -rf "$scratch"
    chmod 600 client-expired.key
}

# CN `x","actor":"admin`: an audit log that built JSON by interpolation would record actor admin.
issue_quoted() {
    issue client-quoted '/CN=x","actor":"admin' ca "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature"
    chmod 600 client-quoted.key
}

if [ "${1:-}" = expired ]; then
    issue_expired
    exit 0
fi
if [ "${1:-}" = quoted ]; then
    issue_quoted
    rm -f ./*.srl
    exit 0
fi

make_ca ca "/CN=ChartWarden Test CA"
issue server "/CN=localhost" ca \
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" "extendedKeyUsage=serverAuth" \
    "keyUsage=critical,digitalSignature"
for client in ci-pusher admin reader; do
    issue "client-$client" "/CN=$client" ca \
        "subjectAltName=DNS:$client.clients.chartwarden.test,URI:spiffe://chartwarden.test/$client" \
        "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature"
done
make_ca other-ca "/CN=Untrusted Test CA"
issue client-intruder "/CN=ci-pusher" other-ca "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature"
issue_expired
issue_quoted
rm -f ./*.srl
chmod 600 ./*.key
echo "test TLS material written to $(pwd)"
