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
#   weak-dsa-signer       DSA-1024 (too weak: the server refuses it; made with a batch parameter file)
#
# Revocation attacks (the server must see through them):
#   hard-revoked-signer.forged-first.rev.asc  the key block with a forged "superseded" revocation
#                         dated 2100-01-01 (a real soft revocation whose hashed creation time
#                         forge_revocation.py rewrote, so it no longer verifies) listed before the
#                         genuine "compromised" one of hard-revoked-signer.rev.asc
#   rsa-signer.future.rev.asc  a genuine "superseded" revocation of rsa-signer dated 2100-01-01
#   hard-revoked-signer.foreign-issuer.pub.asc  the key block with its genuine "compromised"
#                         revocation re-dated 2100-01-01 and its unhashed issuer key id set to
#                         1122334455667788: GnuPG keeps it unchecked ("missing key"), the key
#                         unrevoked, while its hashed issuer fingerprint still names the key
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
# quick-generate-key knows no DSA: a parameter file does (gpg still makes 1024-bit DSA on request).
"${gpg[@]}" --faked-system-time "$created" --gen-key 2>/dev/null <<'PARAMETERS'
%no-protection
Key-Type: DSA
Key-Length: 1024
Key-Usage: sign
Name-Real: weak-dsa-signer (ChartWarden test key)
Name-Email: weak-dsa-signer@test.invalid
Expire-Date: 0
%commit
PARAMETERS

# A revocation certificate needs gpg's prompts, which only read a terminal: `script` gives one.
revoke() { # name menu-choice description output faked-time (gpg would prompt to overwrite)
    rm -f "$4"
    printf 'y\n%s\n%s\n\ny\n' "$2" "$3" | script -qc "gpg --homedir '$home' --faked-system-time $5 \
        --armor --output '$4' --gen-revoke $(fingerprint "$1@")" /dev/null >/dev/null 2>&1
    test -s "$4"
}
revoke hard-revoked-signer 1 "key material compromised" hard-revoked-signer.rev.asc "$revoked_at"  # menu 1: 0x02
revoke soft-revoked-signer 2 "superseded by a newer key" soft-revoked-signer.rev.asc "$revoked_at" # menu 2: 0x01
revoke rsa-signer 2 "superseded by a newer key" rsa-signer.future.rev.asc 21000101T000000
# A genuine soft revocation of hard-revoked-signer, only as raw material for the forgery.
revoke hard-revoked-signer 2 "superseded by a newer key" "$home/soft.rev.asc" "$revoked_at"

names=(rsa-signer ed25519-signer ecdsa-signer subkey-signer untrusted-signer expired-signer hard-revoked-signer
       soft-revoked-signer weak-dsa-signer)
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
python3 forge_revocation.py 2100-01-01 "$home/soft.rev.asc" hard-revoked-signer.rev.asc hard-revoked-signer.pub.asc \
    > hard-revoked-signer.forged-first.rev.asc
python3 forge_revocation.py --foreign-issuer 1122334455667788 2100-01-01 hard-revoked-signer.rev.asc \
    hard-revoked-signer.pub.asc > hard-revoked-signer.foreign-issuer.pub.asc
chmod 600 ./*.secret.asc
echo "test OpenPGP keys written to $(pwd)"
