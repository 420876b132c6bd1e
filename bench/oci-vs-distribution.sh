#!/usr/bin/env bash
# OCI throughput: ChartWarden against CNCF Distribution (Debian's docker-registry 2.8) serving the
# same chart with the same certificate, measured in the same run. Pulls are what `helm pull
# oci://` does once it has resolved the tag: a manifest GET and a blob GET, each driven by wrk
# over keep-alive connections; pushes are sequential Helm-style pushes (config, chart, manifest)
# of distinct versions over one connection. Prints requests/s and the ratio (goal: >= 1.0x on pulls).
#
#   bench/oci-vs-distribution.sh [DURATION_SECONDS] [CONNECTIONS] [PUSHES]
#   CHARTWARDEN_BIN=path use that binary instead of a release build
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-16}
pushes=${3:-100}
command -v wrk >/dev/null && command -v docker-registry >/dev/null || {
    apt-get update -qq && apt-get install -y -qq wrk docker-registry >/dev/null; }
if [ -n "${CHARTWARDEN_BIN:-}" ]; then
    bin=$CHARTWARDEN_BIN
else
    swift build -c release --product chartwarden >/dev/null
    bin=$(swift build -c release --show-bin-path)/chartwarden
fi

work=$(mktemp -d)
cw_pid=""; registry_pid=""
cleanup() {
    [ -n "$cw_pid" ] && kill "$cw_pid" 2>/dev/null || true
    [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
. bench/common.sh

# ChartWarden: one repository, anonymous reads (as Distribution without auth), the CI certificate writes.
{ chartwarden_config "$work"; cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - {name: bench, read: [anonymous], write: ["group:ci"]}
YAML
} > "$work/chartwarden.yaml"
start_chartwarden "$work" "$bin"

# Distribution: filesystem storage, the same certificate, no auth.
registry_port=$((cw_port + 1)); while ss -ltn | grep -q ":$registry_port "; do registry_port=$((registry_port + 1)); done
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}, delete: {enabled: true}}
http:
  addr: 127.0.0.1:$registry_port
  tls: {certificate: $tls/server.crt, key: $tls/server.key}
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
until curl -s --cacert "$tls/ca.crt" "https://localhost:$registry_port/v2/" >/dev/null; do
    kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log"; exit 1; }
    sleep 0.1
done

# Pushes: the same generated charts to both, measured in the same run.
cw_push=$(python3 bench/oci_push.py "$cw_port" bench/webapp "$pushes" "$tls" --cert ci-pusher)
registry_push=$(python3 bench/oci_push.py "$registry_port" bench/webapp "$pushes" "$tls")

# Both must serve the same manifest and chart bytes, or the comparison means nothing.
accept="Accept: application/vnd.oci.image.manifest.v1+json"
manifest_path=/v2/bench/webapp/manifests/1.0.1
for port in "$cw_port" "$registry_port"; do
    curl -sf --cacert "$tls/ca.crt" -H "$accept" "https://localhost:$port$manifest_path" -o "$work/manifest-$port.json"
done
cmp -s "$work/manifest-$cw_port.json" "$work/manifest-$registry_port.json" \
    || { echo "the two servers serve different manifests" >&2; exit 1; }
chart_digest=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['layers'][0]['digest'])" "$work/manifest-$cw_port.json")
blob_path=/v2/bench/webapp/blobs/$chart_digest
for port in "$cw_port" "$registry_port"; do
    curl -sf --cacert "$tls/ca.crt" "https://localhost:$port$blob_path" | sha256sum | grep -q "${chart_digest#sha256:}" \
        || { echo "port $port does not serve the chart blob" >&2; exit 1; }
done

rps() { # url [header]
    wrk -t1 -c"$connections" -d"${duration}s" ${2:+-H "$2"} "$1" | awk '/Requests\/sec/ {print $2}'
}
printf '%-22s %14s %14s %8s\n' "request" "chartwarden" "distribution" "ratio"
declare -A ours theirs
for kind in manifest blob; do
    path=$manifest_path; header=$accept
    [ "$kind" = blob ] && { path=$blob_path; header=""; }
    wrk -t1 -c"$connections" -d1s ${header:+-H "$header"} "https://localhost:$cw_port$path" >/dev/null
    wrk -t1 -c"$connections" -d1s ${header:+-H "$header"} "https://localhost:$registry_port$path" >/dev/null
    ours[$kind]=$(rps "https://localhost:$cw_port$path" "$header")
    theirs[$kind]=$(rps "https://localhost:$registry_port$path" "$header")
    printf '%-22s %14s %14s %8s\n' "GET $kind" "${ours[$kind]}" "${theirs[$kind]}" \
        "$(python3 -c "print(f'{${ours[$kind]} / ${theirs[$kind]}:.2f}x')")"
done
# A pull is one of each: pulls/s = 1 / (1/manifest rps + 1/blob rps).
python3 - "${ours[manifest]}" "${ours[blob]}" "${theirs[manifest]}" "${theirs[blob]}" <<'PY'
import sys
m1, b1, m2, b2 = map(float, sys.argv[1:])
ours, theirs = 1 / (1 / m1 + 1 / b1), 1 / (1 / m2 + 1 / b2)
print(f"{'pull (manifest+blob)':22} {ours:14.1f} {theirs:14.1f} {ours / theirs:7.2f}x")
PY
printf '%-22s %14s %14s %8s\n' "push (sequential)/s" "$cw_push" "$registry_push" \
    "$(python3 -c "print(f'{$cw_push / $registry_push:.2f}x')")"
echo "(wrk -t1 -c$connections -d${duration}s, keep-alive, anonymous pulls; pushes: $pushes versions over one connection,"
echo " ChartWarden judging each one (archive reader, content policy); $(nproc) cores shared with wrk)"
