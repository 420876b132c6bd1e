#!/usr/bin/env bash
# The whole suite: set up, regenerate the hostile archives, build, run the Swift tests
# (swift-testing), then the end-to-end tests with the real Helm client (pytest), then the fault
# drills and the TLS scan (Tests/reliability), then a short pass of every fuzzer. A private
# PostgreSQL cluster (scripts/postgres.sh) serves the run: the store tests run on both backends,
# and the end-to-end files of the core paths run a second time on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/chartwarden-postgres.XXXXXX")
trap 'scripts/postgres.sh stop "$postgres_dir"' EXIT
CHARTWARDEN_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$postgres_dir")
export CHARTWARDEN_TEST_POSTGRES_URL
python3 charts-fixtures/make_hostile.py
swift build --build-tests
swift test --skip-build
scripts/helm-sdk.sh >/dev/null
CHARTWARDEN_BIN="$PWD/.build/debug/chartwarden" python3 -m pytest -q Tests/integration
# The same server on PostgreSQL (a fresh database per test): uploads, downloads, provenance,
# trust, quarantine, audit, the Helm client's paths, the OCI front door, API tokens and webhooks.
CHARTWARDEN_TEST_BACKEND=postgres CHARTWARDEN_BIN="$PWD/.build/debug/chartwarden" python3 -m pytest -q \
  Tests/integration/test_server_uploads.py Tests/integration/test_server_helm.py \
  Tests/integration/test_server_provenance.py Tests/integration/test_server_policy.py \
  Tests/integration/test_audit.py Tests/integration/test_attacks_pgp.py \
  Tests/integration/test_oci.py Tests/integration/test_oci_hardening.py Tests/integration/test_server_tokens.py \
  Tests/integration/test_webhooks.py
# Fault drills and the sslyze scan: a pytest run of their own (their conftest loads the integration one).
CHARTWARDEN_BIN="$PWD/.build/debug/chartwarden" python3 -m pytest -q Tests/reliability
# A short pass of every fuzzer (scripts/fuzz.sh; CHARTWARDEN_FUZZ_SECONDS=0 skips it).
[ "${CHARTWARDEN_FUZZ_SECONDS:-10}" = 0 ] || scripts/fuzz.sh "${CHARTWARDEN_FUZZ_SECONDS:-10}"
