#!/usr/bin/env bash
# Generates the TEST-ONLY OpenPGP keys under keys-test/pgp/ with `gpg --batch`. Every secret key
# is passphrase-less and committed so tests can sign at run time: never use them anywhere else.
#
#   rsa-signer            RSA-3072, signs with its primary key, no expiry
#   ed25519-signer        Ed25519, expires 2035-06-01 (also exported binary: .pub.gpg)
#   ecdsa-signer          ECDSA P-384
#   subkey-signer         Ed25519 certify-only primary with an Ed25519 signing subkey
#   untrusted-signer      Ed25519, never trusted by the test configurations
#   expired-signer        Ed25519, valid 2024-01-01 .. 2025-01-01
#   hard-revoked-signer   Ed25519 from 2024-01-01; .rev.asc revokes it as compromised (hard), dated 2025-01-01
#   soft-revoked-signer   Ed25519 from 2024-01-01; .rev.asc revokes it as superseded (soft), dated 2025-01-01
#
# keys.json lists each key's primary and signing fingerprints. Re-running replaces everything.
set -euo pipefail
cd "$(dirname "$0")"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
chmod 700 "$home"
gpg=(gpg --homedir "$home" --batch --pinentry-mode loopback --passphrase "")
created="20250601T000000"
old="20240101T000000"
revoked_at="20250101T000000"

fingerprint() { gpg --homedir "$home" --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'; }
signing_fingerprint() {
    gpg --homedir "$home" --with-colons --list-keys "$1" |
        awk -F: '/^(pub|sub)/ {usage=$12} /^fpr/ && usage ~ /s/ {fpr=$10} END {print fpr}'
}

generate() { # name algorithm usage expiry faked-time
    "${gpg[@]}" --faked-system-time "$5" --quick-generate-key "$1 (ChartWarden test key) <$1@test.invalid>" \
        "$2" "$3" "$4" 2>/dev/null
}

generate rsa-signer rsa3072 sign never "$created"
generate ed25519-signer ed25519 sign 2035-06-01 "$created"
generate ecdsa-signer nistp384 sign never "$created"
generate subkey-signer ed25519 cert never "$created"
"${gpg[@]}" --faked-system-time "$created" --quick-add-key "$(fingerprint subkey-signer@)" ed25519 sign never 2>/dev/null
generate untrusted-signer ed25519 sign never "$created"
generate expired-signer ed25519 sign 2025-01-01 "$old"
generate hard-revoked-signer ed25519 sign never "$old"
generate soft-revoked-signer ed25519 sign never "$old"

# A revocation certificate needs gpg's prompts, which only read a terminal: `script` gives one.
revoke() { # name menu-choice description
    printf 'y\n%s\n%s\n\ny\n' "$2" "$3" | script -qc "gpg --homedir '$home' --faked-system-time $revoked_at \
        --armor --output '$1.rev.asc' --gen-revoke $(fingerprint "$1@")" /dev/null >/dev/null 2>&1
    test -s "$1.rev.asc"
}
revoke hard-revoked-signer 1 "key material compromised"   # menu 1: 0x02 compromised
revoke soft-revoked-signer 2 "superseded by a newer key"  # menu 2: 0x01 superseded

names=(rsa-signer ed25519-signer ecdsa-signer subkey-signer untrusted-signer expired-signer hard-revoked-signer
       soft-revoked-signer)
echo "{" > keys.json
for index in "${!names[@]}"; do
    name=${names[$index]}
    gpg --homedir "$home" --armor --export "$name@" > "$name.pub.asc"
    "${gpg[@]}" --armor --export-secret-keys "$name@" > "$name.secret.asc"
    separator=$([ "$index" -lt $((${#names[@]} - 1)) ] && echo "," || true)
    printf '  "%s": {"fingerprint": "%s", "signingFingerprint": "%s"}%s\n' "$name" "$(fingerprint "$name@")" \
        "$(signing_fingerprint "$name@")" "$separator" >> keys.json
done
echo "}" >> keys.json
gpg --homedir "$home" --export ed25519-signer@ > ed25519-signer.pub.gpg
chmod 600 ./*.secret.asc
echo "test OpenPGP keys written to $(pwd)"
