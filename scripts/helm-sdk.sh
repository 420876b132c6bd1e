#!/usr/bin/env bash
# Fetches the real Helm client (Helm v4 compiled as a C library, from the PyPI wheel helm-sdkpy)
# into .helm-sdk/ once, and prints the path of the shared library.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/.helm-sdk"
lib="$dir/helm_sdkpy/_lib/linux-amd64/libhelm_sdkpy.so"
if [ ! -f "$lib" ]; then
  mkdir -p "$dir/wheel"
  python3 -m pip download --quiet --no-deps --python-version 3.12 --only-binary=:all: \
    -d "$dir/wheel" helm-sdkpy >&2
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$(ls "$dir"/wheel/helm_sdkpy-*.whl | head -n 1)" "$dir"
fi
echo "$lib"
