#!/usr/bin/env bash
# CPU time the server spends per OCI pull request, less sensitive to machine load than requests/s:
# ChartWarden serves one pushed chart; wrk drives manifest GETs, then blob GETs, over keep-alive
# connections, and the server's user+system CPU time (/proc/PID/stat, all threads) over each run
# is divided by the requests wrk completed. Compare two binaries on the same machine. (Valgrind
# 3.19, Debian 12's, crashes on Swift binaries that park the main thread in dispatchMain, so
# callgrind instruction counts are not available here.)
#
#   bench/oci-pull-cpu.sh BINARY [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
duration=${2:-5}
connections=${3:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
cw_pid=""
cleanup() { [ -n "$cw_pid" ] && kill "$cw_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/common.sh
{ chartwarden_config "$work"; cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - {name: bench, read: [anonymous], write: ["group:ci"]}
YAML
} > "$work/chartwarden.yaml"
start_chartwarden "$work" "$bin"
python3 bench/oci_push.py "$cw_port" bench/webapp 1 "$tls" --cert ci-pusher >/dev/null
accept="Accept: application/vnd.oci.image.manifest.v1+json"
manifest=$(curl -sf --cacert "$tls/ca.crt" -H "$accept" "https://localhost:$cw_port/v2/bench/webapp/manifests/1.0.1")
chart_digest=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['layers'][0]['digest'])" "$manifest")
ticks() { awk '{print $14 + $15}' "/proc/$cw_pid/stat"; }
hz=$(getconf CLK_TCK)
for kind in manifest blob; do
    path=/v2/bench/webapp/manifests/1.0.1; header=$accept
    [ "$kind" = blob ] && { path=/v2/bench/webapp/blobs/$chart_digest; header=""; }
    wrk -t1 -c"$connections" -d1s ${header:+-H "$header"} "https://localhost:$cw_port$path" >/dev/null  # warm-up
    before=$(ticks)
    requests=$(wrk -t1 -c"$connections" -d"${duration}s" ${header:+-H "$header"} "https://localhost:$cw_port$path" \
        | awk '/requests in/ {print $1}')
    after=$(ticks)
    printf '%-14s %10.1f µs CPU per request (%d requests, %d ticks)\n' "GET $kind" \
        "$(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[3]) * 1e6 / float(sys.argv[2]))" "$((after - before))" "$requests" "$hz")" \
        "$requests" "$((after - before))"
done
