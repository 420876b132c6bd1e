#!/usr/bin/env bash
# Several replicas on one PostgreSQL database (issue 14), against the embedded store, in one run:
#   - replication lag p50/p99: a 201 on replica A until replica B's index.yaml lists the version,
#     over UPLOADS uploads (one at a time);
#   - uploads/s and GET index.yaml req/s for 1 and 3 replicas on PostgreSQL, and for the
#     embedded store (SQLite and files; one process).
# Everything runs on this machine: the replicas share its cores with PostgreSQL and the load
# generators, so 3 replicas measure contention here, not the scaling of separate machines.
#
#   bench/replicas.sh [UPLOADS] [GET_SECONDS] [CONNECTIONS]
#   CHARTWARDEN_BIN=path   use that binary instead of a release build
set -euo pipefail
cd "$(dirname "$0")/.."
uploads=${1:-200}
duration=${2:-10}
connections=${3:-16}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${CHARTWARDEN_BIN:-}" ]; then
    bin=$CHARTWARDEN_BIN
else
    swift build -c release --scratch-path .build-release --product chartwarden >/dev/null
    bin=$(swift build -c release --scratch-path .build-release --show-bin-path)/chartwarden
fi

work=$(mktemp -d)
chmod 755 "$work"   # as root, the PostgreSQL cluster runs as an unprivileged user
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
. bench/common.sh
url=$(scripts/postgres.sh start "$work/pg")
password_file=$work/pg-password
python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(urllib.parse.urlsplit(sys.argv[1]).password))' \
    "$url" > "$password_file"
server_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(f"{p.scheme}://{p.username}@{p.hostname}:{p.port}")' "$url")
psql -X -q "$url" -c "CREATE DATABASE bench_one" -c "CREATE DATABASE bench_three"

# start_replica NAME [DATABASE]: a server on its own data directory, on DATABASE when given.
start_replica() {
    mkdir -p "$work/$1"
    { chartwarden_config "$work/$1"
      cat <<YAML
auth:
  groups: {ci: ["cert:ci-pusher"]}
repositories:
  - {name: bench, read: [anonymous], write: ["group:ci"]}
YAML
    } > "$work/$1/chartwarden.yaml"
    if [ -n "${2:-}" ]; then
        # storage: {dataDir: …} becomes a block with the database added.
        sed -i "s#^storage: {dataDir: \(.*\)}#storage:\n  dataDir: \1\n  postgres: {url: \"$server_url/$2\", passwordFile: $password_file}#" \
            "$work/$1/chartwarden.yaml"
    fi
    start_chartwarden "$work/$1" "$bin"
    pids+=("$cw_pid")
}

# get_rate PORT...: GET /bench/index.yaml with wrk on every port at once, summed req/s.
get_rate() {
    local total=0 rate
    local per=$(( connections / $# )); [ "$per" -ge 1 ] || per=1
    local files=() runs=()
    for port in "$@"; do
        wrk -t1 -c"$per" -d"${duration}s" "https://localhost:$port/bench/index.yaml" > "$work/wrk-$port.txt" &
        runs+=("$!")
        files+=("$work/wrk-$port.txt")
    done
    wait "${runs[@]}"
    for file in "${files[@]}"; do
        rate=$(awk '/Requests\/sec/ {print $2}' "$file")
        total=$(python3 -c "print(round($total + $rate, 1))")
    done
    echo "$total"
}

report() { printf '%-34s %s\n' "$1" "$2"; }

echo "embedded store (SQLite and files), 1 process..." >&2
start_replica embedded
embedded_port=$cw_port
embedded_uploads=$(python3 bench/replicas.py uploads "$tls" "$uploads" "$embedded_port")
embedded_gets=$(get_rate "$embedded_port")

echo "PostgreSQL, 1 replica..." >&2
start_replica one bench_one
one_port=$cw_port
one_uploads=$(python3 bench/replicas.py uploads "$tls" "$uploads" "$one_port")
one_gets=$(get_rate "$one_port")

echo "PostgreSQL, 3 replicas on one database..." >&2
start_replica a bench_three; a_port=$cw_port
start_replica b bench_three; b_port=$cw_port
start_replica c bench_three; c_port=$cw_port
lag=$(python3 bench/replicas.py lag "$tls" "$uploads" "$a_port" "$b_port")
three_uploads=$(python3 bench/replicas.py uploads "$tls" "$uploads" "$a_port" "$b_port" "$c_port")
three_gets=$(get_rate "$a_port" "$b_port" "$c_port")

echo
echo "ChartWarden replicas ($uploads uploads, GET for ${duration}s over $connections connections, $(nproc) cores):"
report "replication lag (A 201 -> B index)" "$lag"
report "embedded: uploads/s" "${embedded_uploads#uploads_per_s=}"
report "embedded: GET index.yaml req/s" "$embedded_gets"
report "postgres 1 replica: uploads/s" "${one_uploads#uploads_per_s=}"
report "postgres 1 replica: GET req/s" "$one_gets"
report "postgres 3 replicas: uploads/s" "${three_uploads#uploads_per_s=}"
report "postgres 3 replicas: GET req/s" "$three_gets"
