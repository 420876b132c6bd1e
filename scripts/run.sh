#!/usr/bin/env bash
# The main job: set up, build, and serve the repositories of config/chartwarden.yaml over HTTPS
# (SQLite + blobs under ./data, TEST-ONLY TLS material from keys-test/tls). Extra arguments go
# to `chartwarden serve`, e.g. --config FILE or --log-level debug. Stops on Ctrl-C / SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product chartwarden
exec .build/debug/chartwarden serve "$@"
