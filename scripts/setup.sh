#!/usr/bin/env bash
# Installs what ChartWarden needs on a fresh Debian machine: the C libraries it links, gnupg,
# curl and the openssl CLI (TLS tests), and the Python tools of the end-to-end tests (sslyze: the TLS scan). Skips apt when everything is already there.
# The console's browser tests (Tests/integration/test_console.py) drive chromium with Selenium;
# certutil (libnss3-tools) makes the browser trust the test CA.
set -euo pipefail
packages=(libssl-dev libgpgme-dev libarchive-dev libsqlite3-dev libcrypt-dev gnupg gpg-agent pkg-config gzip python3-pip
          openssl curl ca-certificates iproute2 chromium chromium-driver libnss3-tools)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c "import pytest, yaml, helm_sign, selenium" 2>/dev/null || python3 -m pip install --quiet pytest pyyaml helm-sign selenium
# The OIDC tests (Tests/integration/test_server_oidc.py) make their issuer's RSA and EC keys and sign JWTs.
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install --quiet cryptography
# oras: the second OCI client of Tests/integration/test_oci.py.
python3 -c "import oras.client" 2>/dev/null || python3 -m pip install --quiet oras
# The TLS scan (Tests/reliability/test_tls_scan.py) is skipped, saying why, where sslyze cannot be installed.
python3 -c "import sslyze" 2>/dev/null || python3 -m pip install --quiet sslyze \
  || echo "setup: sslyze could not be installed; the TLS scan will be skipped" >&2
