#!/usr/bin/env bash
# Index at scale (issue 13): upload latency p50/p99 per 1,000 versions from 0 to N, cold start to
# /ready and RSS with N versions stored, index GET time in the YAML and JSON forms, and the real
# Helm client's `repo update` against each. Prints ratios measured in this one run.
#
#   bench/index-scale.sh [VERSIONS (default 100000)]
#   CHARTWARDEN_BIN=path  use that binary instead of a release build
#   BLOCK=n               versions per latency block (default 1000; smaller for a quick check)
#   FILL=upload           upload every version (p50/p99 for each block of 1,000; hours at 100,000)
#   FILL=direct (default) upload the first 1,000 into an empty repository and the last 1,000 on top
#                         of VERSIONS - 1,000 stored, the rows between inserted straight into the
#                         stopped server's SQLite store (bench/populate-store.py)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=${1:-100000}
block=${BLOCK:-1000}
if [ -n "${CHARTWARDEN_BIN:-}" ]; then
    bin=$CHARTWARDEN_BIN
else
    swift build -c release --scratch-path .build-release --product chartwarden >/dev/null
    bin=$(swift build -c release --scratch-path .build-release --show-bin-path)/chartwarden
fi
work=$(mktemp -d)
cw_pid=""
cleanup() { [ -n "$cw_pid" ] && kill "$cw_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/common.sh

write_config() { # FORMAT
    { chartwarden_config "$work"; cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - {name: scale, read: [anonymous], write: ["group:ci"]$( [ "$1" = json ] && echo ", indexFormat: json")}
YAML
    } > "$work/chartwarden.yaml"
}
curl_tls() { curl -sf --cacert "$tls/ca.crt" "$@"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
get_seconds() { # best of 5 full index GETs
    for _ in 1 2 3 4 5; do curl_tls -o /dev/null -w '%{time_total}\n' "https://localhost:$cw_port/scale/index.yaml"; done \
        | sort -n | head -1
}
helm_update_seconds() { # the real Helm client: repo add, then time `repo update`
    local home=$work/helm-$1
    python3 scripts/helmclient.py --home "$home" repo-add scale "https://localhost:$cw_port/scale" --ca-file "$tls/ca.crt" >/dev/null
    local start=$(date +%s.%N)
    python3 scripts/helmclient.py --home "$home" repo-update scale >/dev/null
    python3 -c "import time; print(f'{time.time() - $start:.3f}')"
}

stop_chartwarden() { kill "$cw_pid"; wait "$cw_pid" 2>/dev/null || true; cw_pid=""; }
block_p50() { awk '$1 ~ /^[0-9]+$/ {print $2}' "$1" | tail -1; }
block_p99() { awk '$1 ~ /^[0-9]+$/ {print $3}' "$1" | tail -1; }

write_config yaml
start_chartwarden "$work" "$bin"
if [ "${FILL:-direct}" = upload ]; then
    echo "== upload latency, $versions versions (one client, keep-alive)"
    python3 bench/upload-latency.py "$cw_port" scale "$versions" "$tls" "$block" | tee "$work/uploads.txt"
    first_p50=$(awk '$1 ~ /^[0-9]+$/ {print $2; exit}' "$work/uploads.txt")
else
    echo "== uploads 1-$block into an empty repository (one client, keep-alive)"
    python3 bench/upload-latency.py "$cw_port" scale "$block" "$tls" "$block" | tee "$work/first.txt"
    first_p50=$(block_p50 "$work/first.txt")
    stop_chartwarden
    python3 bench/populate-store.py "$work/data" scale $((versions - 2 * block))
    # Rows inserted straight into the store have no stored index rendering: this start renders
    # every one and stores it (what a first start after an upgrade, or a changed publicURL, costs).
    start=$(date +%s.%N)
    start_chartwarden "$work" "$bin"
    until curl_tls -o /dev/null "https://localhost:$cw_port/ready"; do sleep 0.05; done
    render_start=$(python3 -c "import time; print(f'{time.time() - $start:.3f}')")
    echo "== uploads $((versions - block + 1))-$versions, on top of $((versions - block)) stored"
    python3 bench/upload-latency.py "$cw_port" scale "$block" "$tls" "$block" "$block" | tee "$work/uploads.txt"
fi
last_p50=$(block_p50 "$work/uploads.txt"); last_p99=$(block_p99 "$work/uploads.txt")
yaml_get=$(get_seconds)
yaml_bytes=$(curl_tls "https://localhost:$cw_port/scale/index.yaml" | wc -c)
yaml_helm=$(helm_update_seconds yaml || echo n/a)
stop_chartwarden

echo "== cold start with $versions versions stored"
start=$(date +%s.%N)
start_chartwarden "$work" "$bin"
until curl_tls -o /dev/null "https://localhost:$cw_port/ready"; do sleep 0.05; done
cold=$(python3 -c "import time; print(f'{time.time() - $start:.3f}')")
cold_cpu=$(cpu_seconds "$cw_pid")
rss_ready=$(rss_mib "$cw_pid")
curl_tls -o /dev/null "https://localhost:$cw_port/scale/index.yaml"
rss_served=$(rss_mib "$cw_pid")
stop_chartwarden

json_get=n/a; json_bytes=n/a; json_helm=n/a
write_config json
start_chartwarden "$work" "$bin"
if [ "$(curl_tls "https://localhost:$cw_port/scale/index.yaml" | head -c1 || true)" = "{" ]; then
    json_get=$(get_seconds)
    json_bytes=$(curl_tls "https://localhost:$cw_port/scale/index.yaml" | wc -c)
    json_helm=$(helm_update_seconds json || echo n/a)
fi
stop_chartwarden
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}x' if 'n/a' not in (a, b) else 'n/a')" "$1" "$2"; }

echo "== results ($versions versions, binary $bin)"
printf '%-34s %s\n' "upload p50 first $block (ms)" "$first_p50" "upload p50 last $block (ms)" "$last_p50" \
    "upload p50 last/first" "$(ratio "$last_p50" "$first_p50")" "upload p99 last $block (ms)" "$last_p99" \
    "start rendering every row (s)" "${render_start:-n/a}" \
    "cold start to /ready (s)" "$cold" "CPU at ready (s, every thread)" "$cold_cpu" "RSS at ready (MiB)" "$rss_ready" \
    "RSS after an index GET (MiB)" "$rss_served" \
    "index GET yaml (s, bytes)" "$yaml_get, $yaml_bytes" "index GET json (s, bytes)" "$json_get, $json_bytes" \
    "GET json/yaml" "$(ratio "$json_get" "$yaml_get")" \
    "helm repo update yaml (s)" "$yaml_helm" "helm repo update json (s)" "$json_helm" \
    "helm update json/yaml" "$(ratio "$json_helm" "$yaml_helm")"
