#!/usr/bin/env bash
# The main job: set up, build, and print the index of the packaged fixture charts.
# (The HTTPS server replaces this once it lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product chartwarden
.build/debug/chartwarden index charts-fixtures/packaged "$@"
