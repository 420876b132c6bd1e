#!/usr/bin/env bash
# The whole suite: set up, regenerate the hostile archives, build, run the Swift tests
# (swift-testing), then the end-to-end tests with the real Helm client (pytest), then the fault
# drills and the TLS scan (Tests/reliability), then a short pass of every fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 charts-fixtures/make_hostile.py
swift build --build-tests
swift test --skip-build
scripts/helm-sdk.sh >/dev/null
CHARTWARDEN_BIN="$PWD/.build/debug/chartwarden" python3 -m pytest -q Tests/integration
# Fault drills and the sslyze scan: a pytest run of their own (their conftest loads the integration one).
CHARTWARDEN_BIN="$PWD/.build/debug/chartwarden" python3 -m pytest -q Tests/reliability
# A short pass of every fuzzer (scripts/fuzz.sh; CHARTWARDEN_FUZZ_SECONDS=0 skips it).
[ "${CHARTWARDEN_FUZZ_SECONDS:-10}" = 0 ] || scripts/fuzz.sh "${CHARTWARDEN_FUZZ_SECONDS:-10}"
