#!/usr/bin/env bash
# Serving throughput: ChartWarden against nginx serving the same bytes (a 10,000-version
# index.yaml, a small index.yaml and a chart) with the same certificate and TLS settings, both
# driven by wrk over keep-alive connections in the same run. Prints requests/s and the ratio.
#
#   bench/serve-vs-nginx.sh [DURATION_SECONDS] [CONNECTIONS]
#   ROUNDS=n             runs per server and resource (default 5), the two servers alternating;
#                        the medians are compared (one 10 s run swings by ±15% on 2 shared cores)
#   ACCESS_LOG=1         both servers write their access log (ChartWarden at --log-level info, its
#                        default; nginx to a file), as in production
#   CHARTWARDEN_BIN=path use that binary instead of a release build
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-16}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
    apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null; }
if [ -n "${CHARTWARDEN_BIN:-}" ]; then
    bin=$CHARTWARDEN_BIN
else
    swift build -c release --scratch-path .build-release --product chartwarden >/dev/null
    bin=$(swift build -c release --scratch-path .build-release --show-bin-path)/chartwarden
fi

work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run as an unprivileged user
nginx_access_log="access_log off;"
if [ "${ACCESS_LOG:-0}" = 1 ]; then
    export CW_LOG_LEVEL=info
    nginx_access_log="access_log $work/logs/access.log;"
fi
cw_pid=""; nginx_started=""
cleanup() {
    [ -n "$cw_pid" ] && kill "$cw_pid" 2>/dev/null || true
    [ -n "$nginx_started" ] && nginx -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
. bench/common.sh
threads=$(nproc)

{ chartwarden_config "$work"; cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - {name: big, read: [anonymous], write: ["group:ci"]}
  - {name: small, read: [anonymous], write: ["group:ci"]}
YAML
} > "$work/chartwarden.yaml"
start_chartwarden "$work" "$bin"

echo "populating: 10,000 versions in 'big', fixtures in 'small'..." >&2
python3 bench/populate.py "$cw_port" big "${BENCH_VERSIONS:-10000}" "$tls"
for chart in charts-fixtures/packaged/*.tgz; do
    curl -sf --cacert "$tls/ca.crt" --cert "$tls/client-ci-pusher.crt" --key "$tls/client-ci-pusher.key" \
        --data-binary "@$chart" "https://localhost:$cw_port/api/small/charts" >/dev/null
done

# nginx serves exactly the bytes ChartWarden serves.
mkdir -p "$work/www/big" "$work/www/small/charts" "$work/logs"
curl -sf --cacert "$tls/ca.crt" "https://localhost:$cw_port/big/index.yaml" -o "$work/www/big/index.yaml"
curl -sf --cacert "$tls/ca.crt" "https://localhost:$cw_port/small/index.yaml" -o "$work/www/small/index.yaml"
cp charts-fixtures/packaged/webapp-1.2.0.tgz "$work/www/small/charts/"
nginx_port=$((cw_port + 1)); while ss -ltn | grep -q ":$nginx_port "; do nginx_port=$((nginx_port + 1)); done
cat > "$work/nginx.conf" <<NGINX
worker_processes $threads;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 1024; }
http {
    $nginx_access_log
    sendfile on;
    keepalive_requests 1000000;
    types { application/x-yaml yaml; application/gzip tgz; }
    server {
        listen 127.0.0.1:$nginx_port ssl;
        ssl_certificate $tls/server.crt;
        ssl_certificate_key $tls/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers on;
        ssl_ecdh_curve X25519:prime256v1:secp384r1;
        ssl_session_cache shared:SSL:10m;
        ssl_client_certificate $tls/ca.crt;
        ssl_verify_client optional;
        root $work/www;
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
nginx_started=1

# Both must serve the same bytes, or the comparison means nothing.
for path in big/index.yaml small/index.yaml small/charts/webapp-1.2.0.tgz; do
    for port in "$cw_port" "$nginx_port"; do
        curl -sf --cacert "$tls/ca.crt" "https://localhost:$port/$path" | cmp -s - "$work/www/$path" \
            || { echo "port $port does not serve $path correctly" >&2; exit 1; }
    done
done

rounds=${ROUNDS:-5}
rps() { # url
    wrk -t1 -c"$connections" -d"${duration}s" "$1" | awk '/Requests\/sec/ {print $2}'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-26s %10s %14s %14s %8s  %s\n' "resource" "bytes" "chartwarden" "nginx" "ratio" "rounds (chartwarden/nginx)"
for path in big/index.yaml small/index.yaml small/charts/webapp-1.2.0.tgz; do
    size=$(stat -c %s "$work/www/$path")
    # Warm both (caches, TLS session) before measuring.
    wrk -t1 -c"$connections" -d1s "https://localhost:$cw_port/$path" >/dev/null
    wrk -t1 -c"$connections" -d1s "https://localhost:$nginx_port/$path" >/dev/null
    ours_all=""; theirs_all=""; pairs=""
    for _ in $(seq "$rounds"); do
        ours=$(rps "https://localhost:$cw_port/$path"); theirs=$(rps "https://localhost:$nginx_port/$path")
        ours_all="$ours_all $ours"; theirs_all="$theirs_all $theirs"; pairs="$pairs ${ours%.*}/${theirs%.*}"
    done
    ours=$(echo "$ours_all" | median); theirs=$(echo "$theirs_all" | median)
    ratio=$(python3 -c "print(f'{$ours / $theirs:.2f}x')")
    printf '%-26s %10s %14s %14s %8s %s\n' "$path" "$size" "$ours" "$theirs" "$ratio" "$pairs"
done
echo "(access logs: $([ "${ACCESS_LOG:-0}" = 1 ] && echo "on for both" || echo off); medians of $rounds alternating wrk -t1 -c$connections -d${duration}s runs each, keep-alive; $threads nginx workers / $threads NIO event loops; $(nproc) cores shared with wrk)"
