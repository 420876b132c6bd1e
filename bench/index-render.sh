#!/usr/bin/env bash
# Index rendering: full render of 10,000 and 100,000 versions, one incremental update, the gzip
# form, and Yams rendering the same entries as the in-run reference. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product chartwarden-bench >&2
.build/release/chartwarden-bench "$@"
